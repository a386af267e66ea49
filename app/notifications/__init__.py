"""Mail: an outbox written in the same transaction as the change it reports, drained by a
job (app.jobs) to SMTP (SMTP_URL) or, in development, to .eml files under var/mail/."""
