"""autofin's demo data: the back-office demo users and the customer, and the helpers every app's
seed uses to create a demo user (`users`). `manage.py seed_demo` runs the seeds."""
