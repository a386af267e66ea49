"""Partner agencies: UN agencies, ministries, committees and NGOs that report trainings."""
