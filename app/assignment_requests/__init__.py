"""Assignment requests: a host institution's need for experts, from draft to filled."""
