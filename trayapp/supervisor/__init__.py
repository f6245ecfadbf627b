"""Keeping programs alive: state machine, policy, spawning, health and resources."""
