"""The run machinery: the claim registry and runner, sweeps, their store, and the trust suite."""
