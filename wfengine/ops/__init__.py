"""What operators watch: readiness checks, metrics endpoints, retention."""
