//! Simulation suites and checkers.
