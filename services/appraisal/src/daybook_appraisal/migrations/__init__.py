"""SQL migrations of the appraisal service's own schema (applied at start-up by the kit)."""
