"""autofin's HTML pages: signing in and re-authentication (`accounts`), the health check
(`health`) and the four-eyes approvals page (`approvals`)."""
