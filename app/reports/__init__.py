"""Reports and dashboards: the mission's figures, supply against demand, the partner
agencies' training figures; charts drawn on the server, exports of every table (issue 19)."""
