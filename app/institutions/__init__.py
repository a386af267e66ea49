"""Host institutions: the ministries, agencies, universities and NGOs that ask for experts."""
