//! Gives every binary, test and example a RUNPATH to libtorch's lib directory, so nothing
//! has to be exported (LD_LIBRARY_PATH) to run them. torch-sys publishes the directory as
//! DEP_TCH_LIBTORCH_LIB because it declares `links = "tch"` and is a direct dependency.
fn main() {
    if let Ok(lib) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{lib}");
    }
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
}
