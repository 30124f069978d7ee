//! Links the `rolecall` executable position-dependent (`-no-pie`). The code stays
//! position-independent; the linker then resolves its ~31,000 relative relocations at link
//! time instead of the dynamic loader at every start, which spares the client about a
//! hundred dirtied pages per invocation (measured in BENCHMARKS.md).

fn main() {
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    // A static build (`+crt-static`) decides its own relocation model.
    let static_crt = std::env::var("CARGO_CFG_TARGET_FEATURE")
        .is_ok_and(|f| f.split(',').any(|f| f == "crt-static"));
    if linux && !static_crt {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
