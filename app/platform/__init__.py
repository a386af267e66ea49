"""HQ pages under /admin: create and suspend missions, appoint mission admins."""
