//! Publishing: the pointer, the history of blobs, and what survives.

use store::dir::{current, publish};

#[test]
fn publish_points_current_and_keeps_the_newest() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(current(dir.path()).expect("no pointer is fine"), None);
    let mut paths = Vec::new();
    for i in 0..4u8 {
        let id = format!("{i:032x}");
        let p = publish(dir.path(), &id, &[i; 10], 2).expect("publishes");
        assert_eq!(current(dir.path()).expect("reads"), Some(p.path.clone()));
        assert_eq!(std::fs::read(&p.path).expect("reads"), [i; 10]);
        paths.push(p.path);
        std::thread::sleep(std::time::Duration::from_millis(20)); // distinct mtimes
    }
    let left: Vec<bool> = paths.iter().map(|p| p.exists()).collect();
    assert_eq!(left, [false, false, true, true]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("current")).expect("reads"),
        format!("models/{:032x}.segue\n", 3)
    );
}

#[test]
fn the_current_model_is_never_pruned() {
    let dir = tempfile::tempdir().expect("tempdir");
    publish(dir.path(), "a", b"A", 1).expect("publishes");
    // Two blobs that look newer than anything published now (clock skew on a shared volume).
    let future = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    for (name, offset) in [("y", 0), ("z", 10)] {
        let path = dir.path().join("models").join(format!("{name}.segue"));
        std::fs::write(&path, name).expect("writes");
        let file = std::fs::File::options()
            .write(true)
            .open(&path)
            .expect("opens");
        file.set_modified(future + std::time::Duration::from_secs(offset))
            .expect("sets mtime");
    }
    let published = publish(dir.path(), "a", b"A", 1).expect("publishes");
    assert_eq!(
        current(dir.path()).expect("reads"),
        Some(published.path.clone())
    );
    assert!(
        published.path.exists(),
        "the current model survives although it is not among the newest 1"
    );
    assert!(
        dir.path().join("models/z.segue").exists(),
        "the newest is kept"
    );
    assert!(
        !dir.path().join("models/y.segue").exists(),
        "beyond --keep and not current: removed"
    );
}

#[test]
fn a_malformed_pointer_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    for bad in ["../etc/passwd", "models/../x.segue", "models/x.txt", ""] {
        std::fs::write(dir.path().join("current"), bad).expect("writes");
        let err = current(dir.path()).expect_err("rejects");
        assert!(
            err.to_string()
                .contains("expected `models/<model-id>.segue`"),
            "{bad}: {err}"
        );
    }
}
