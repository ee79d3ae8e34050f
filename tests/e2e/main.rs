//! End-to-end tests: each starts the real `kentro` binary and talks to it
//! over HTTP (and runs its CLI) as a client and an operator would.
//!
//! The PostgreSQL and Redis tests use the throwaway servers that the test
//! command (`infra/test.sh`) starts and names in `KENTRO_TEST_POSTGRES_URL`
//! and `KENTRO_TEST_REDIS_URL`; each test gets a fresh database and its own
//! Redis key prefix.

mod access;
mod adversarial;
mod appointments;
mod browser;
mod cases;
mod config;
mod data_model;
mod directory;
mod generate;
mod harness;
mod health;
mod households;
mod invitations;
mod isolation;
mod operations;
mod oversight;
mod people;
mod plugins;
mod referrals;
mod sockets;
mod telemetry;
mod tenants;
mod workspace;
