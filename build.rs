//! Gives every binary, test and example a RUNPATH to libtorch's lib directory, so nothing
//! has to be exported (LD_LIBRARY_PATH) to run them. torch-sys publishes the directory as
//! DEP_TCH_LIBTORCH_LIB because it declares `links = "tch"` and is a direct dependency.
//! With a CUDA libtorch (tools/setup.sh --cuda), libtorch_cuda must stay linked even though
//! no symbol of it is referenced, or CUDA shows as unavailable (tch-rs #980, #907).
fn main() {
    if let Ok(lib) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{lib}");
        if std::path::Path::new(&lib).join("libtorch_cuda.so").exists() {
            println!("cargo:rustc-link-arg=-Wl,--no-as-needed,-ltorch,--as-needed");
        }
    }
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
}
