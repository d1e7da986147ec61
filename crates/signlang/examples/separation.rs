//! The separation check on the real split (`data::separation_check`): the
//! split the notebook makes, linked with validation at 2.0, 2.5 and 3.0,
//! against random group splits and a random-image split.
//!
//! `cargo run --release -p signlang --example separation`

use signlang::data::{data_path, load_checked, separation_check, split_by_group, SplitConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (csv, _, _) = load_checked(data_path("sign_mnist_test.csv.gz"), "test CSV")?;
    let split = split_by_group(&csv, &SplitConfig::default());
    let start = std::time::Instant::now();
    let check = separation_check(&csv, &split, &[2.0, 2.5, 3.0]);
    println!("checked in {:.1} s", start.elapsed().as_secs_f64());
    println!("{}", check.to_display().text);
    Ok(())
}
