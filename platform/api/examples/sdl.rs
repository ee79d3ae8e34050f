//! Prints the contract in SDL, as `kentro schema` does, without building the
//! server (whose workspace pages are typed against the committed file):
//! `cargo run -p kentro-api --example sdl > platform/api/schema.graphql`.

fn main() {
    print!("{}", kentro_api::sdl());
}
