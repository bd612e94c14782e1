"""Tables and plots of check results."""
