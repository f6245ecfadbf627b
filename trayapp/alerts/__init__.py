"""Alert rules (typed, from config), the engine that matches them against events, and their actions."""
