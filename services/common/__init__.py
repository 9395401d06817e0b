"""What every service shares: settings, database, migrations, outbox/inbox, gRPC and nameko bootstrap."""
