"""autofin's API: its entry point (`root`) and the four-eyes approvals (`approvals`)."""
