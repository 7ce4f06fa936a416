//! Blob store tests: durable put, verified get, idempotence, corruption and bad hashes.

use fnas::store::{hash_bytes, BlobRef, BlobStore, Store, StoreError};

#[test]
fn put_get_round_trip_and_layout() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::open(dir.path().join("blobs")).unwrap();
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 31 % 251) as u8).collect();
    let blob = blobs.put(&data).unwrap();
    assert_eq!(blob.size, data.len() as u64);
    assert_eq!(blob.hash, hash_bytes(&data));
    assert_eq!(blob.hash.len(), 64);
    let path = dir
        .path()
        .join("blobs")
        .join(&blob.hash[..2])
        .join(&blob.hash);
    assert_eq!(blobs.path(&blob).unwrap(), path);
    assert_eq!(std::fs::read(&path).unwrap(), data);
    assert!(blobs.contains(&blob).unwrap());
    assert_eq!(blobs.get(&blob).unwrap(), data);
    // Known sha256 of the empty input.
    let empty = blobs.put(&[]).unwrap();
    assert_eq!(
        empty.hash,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(blobs.get(&empty).unwrap(), Vec::<u8>::new());
    // No temporary files are left behind.
    let shard: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
    assert_eq!(shard.len(), 1);
}

#[test]
fn put_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::open(dir.path()).unwrap();
    let a = blobs.put(b"weights").unwrap();
    let path = blobs.path(&a).unwrap();
    let before = std::fs::metadata(&path).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let b = blobs.put(b"weights").unwrap();
    assert_eq!(a, b);
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        before,
        "not rewritten"
    );
}

#[test]
fn missing_and_corrupt_blobs_name_their_path() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::open(dir.path()).unwrap();
    let blob = blobs.put(b"policy v1").unwrap();
    let path = blobs.path(&blob).unwrap();

    // Same size, different content: caught by the hash.
    std::fs::write(&path, b"policy v2").unwrap();
    let err = blobs.get(&blob).unwrap_err();
    assert!(matches!(err, StoreError::BlobCorrupt { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains(&format!("corrupt blob {}", path.display())),
        "{err}"
    );

    // Different size: caught by the size, and `contains` reports it absent.
    std::fs::write(&path, b"policy").unwrap();
    assert!(!blobs.contains(&blob).unwrap());
    assert!(matches!(
        blobs.get(&blob),
        Err(StoreError::BlobCorrupt { .. })
    ));
    // put repairs a damaged (wrong-size) blob.
    blobs.put(b"policy v1").unwrap();
    assert_eq!(blobs.get(&blob).unwrap(), b"policy v1");

    std::fs::remove_file(&path).unwrap();
    let err = blobs.get(&blob).unwrap_err();
    assert!(matches!(err, StoreError::BlobMissing { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains(&format!("missing blob {}", path.display())),
        "{err}"
    );
    assert!(!blobs.contains(&blob).unwrap());
}

#[test]
fn hashes_that_are_not_sha256_hex_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::open(dir.path()).unwrap();
    for hash in [
        "",
        "../../etc/passwd",
        &"A".repeat(64),
        &"0".repeat(63),
        &format!("{}/", "0".repeat(63)),
    ] {
        let blob = BlobRef {
            hash: hash.to_string(),
            size: 1,
        };
        assert!(
            matches!(blobs.get(&blob), Err(StoreError::BadBlobHash { .. })),
            "{hash}"
        );
        assert!(
            matches!(blobs.contains(&blob), Err(StoreError::BadBlobHash { .. })),
            "{hash}"
        );
    }
}

#[test]
fn store_open_removes_stale_tmp_files_but_keeps_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let blob = {
        let store = Store::open(dir.path()).unwrap();
        store.blobs().put(b"checkpoint").unwrap()
    };
    let shard = dir.path().join("blobs").join(&blob.hash[..2]);
    let stale = shard.join(format!(".tmp-{}-1-0", blob.hash));
    std::fs::write(&stale, b"half written").unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert!(!stale.exists());
    assert_eq!(store.blobs().get(&blob).unwrap(), b"checkpoint");
}

#[test]
fn concurrent_puts_of_the_same_content() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::open(dir.path()).unwrap();
    let data = vec![7u8; 300_000];
    let refs: Vec<BlobRef> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| blobs.put(&data).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(refs.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(blobs.get(&refs[0]).unwrap(), data);
    let shard = blobs
        .path(&refs[0])
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    assert_eq!(
        std::fs::read_dir(shard).unwrap().count(),
        1,
        "no tmp files left"
    );
}
