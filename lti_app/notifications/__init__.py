"""Notifications: mail written in the recipient's language and delivered by the job worker."""
