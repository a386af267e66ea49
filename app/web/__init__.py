"""What every page shares: request context (mission, language), rendering, flash messages,
error pages."""
