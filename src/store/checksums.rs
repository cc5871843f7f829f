//! The checksums that databases migrated by earlier releases hold in
//! `_sqlx_migrations`. sqlx refuses to start on a database whose applied
//! migration no longer matches its file, so these must never change: not
//! by editing a landed migration (add a new one), nor by a sqlx upgrade
//! that hashes differently. Recorded with the sqlx 0.8 build.

use super::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
use sqlx::migrate::Migrator;

const SQLITE: &[(i64, &str)] = &[
    (
        1,
        "3f0aa7a37fc17aade00ce90c55da86661df31e2b29446755\
      c4619e3ecaff340e83e0c022dcee8fabeb85f7724a756831",
    ),
    (
        2,
        "ac51332f70b7bc5cd371c7d68e85c477f77da56395a30391\
      d8ab4ab1a6f27e8dc1eaacb3f3fa5837e6973e99b31d6151",
    ),
    (
        3,
        "6336ee2e494392518265c1eb8f2994df3f5a229399579cc6\
      844064aa0bc8e4ce8993bfe1887a54b4d0afa0da870c6143",
    ),
    (
        4,
        "bd05c55a894d5d28116ac4aa604bfaf25577505c3dafa769\
      9044ae3c3f715a892e1999fbd027e6c2ea24b9d1478e80e4",
    ),
    (
        5,
        "543e60e9d53855cb649391ef62d34c539f3e0f921f9aa2fc\
      7d2a0ab7b447567eb601a68bc56ad1cf46243f0904d58515",
    ),
    (
        6,
        "cfb679dac940fa9b75680f8dcb62a6995881280bf937a63f\
      48e06a808e02e05e0e5aacdb63757f2657047d500c6690c4",
    ),
    (
        8,
        "08779c55970f1603f66909ec7c44530774f3b70162e4a4c7\
      71bef2f2e27d72b42d6a645f1e925e89f29fe04187d5b77a",
    ),
    (
        9,
        "f0707386a846c67b1a973fbf7dbfed1de757bd80d6e56c29\
      4be3df220a3d52ec27508b5b86e2d89b18da3b59e95bfe9a",
    ),
    (
        10,
        "af49c7363b12900cf358400c260a04ffa0628872ea0fbc8b\
      274091414e9e253fabc18adfd5b08811a19d220f53c902e6",
    ),
    (
        11,
        "8da33fb21fe1f68f8466a98174a0f7630df073449beb1100\
      39f6ab00e6ede6c56638c8dd7ad2094102a1e99a645feb3f",
    ),
    (
        12,
        "cf14a0b605155231e1176fc4ea8b0a237b222bae8531d1aa\
      46082167c32232343365bf60f45d1626bc6f361a5684f909",
    ),
    (
        13,
        "c3b56ec8d5e1770bd885f718080deb0ee6f1136da46dfb0c\
      d1a3c1e2733c02f4849f95abffdcf19c8665230ca0049012",
    ),
    (
        14,
        "2fe0b5ba16ea330f2824ff4697d143b1acff04bca28e82d6\
      f6bc2922ad1ca5333504e36c04716350fbc6c5cc1bb4a204",
    ),
    (
        15,
        "c8d7f0e73a00b929de7d44ca946d01b4ffc5422cc3eedcc0\
      e85d9199cf89cbc59bc96932c46f6ecb21ec1e94813e2dd8",
    ),
    (
        17,
        "080346f23eec7c5484367f6c2784741f06599257791ff4da\
      54573a4e0c5066ed921b461ae5b3fd8f73823fa8dc8042cd",
    ),
];

const POSTGRES: &[(i64, &str)] = &[
    (
        1,
        "7a265c4c0f883af1b9d98b2046020581bceaa00ea91bc6e1\
      69fca60252b20862b80cfdb945fac76f0c28e5a0263aede2",
    ),
    (
        2,
        "c5d747913028f2b1d0eb3ef0b3512d629ff8181b6fbd3861\
      a181376d466d8e9147fd99207bdf6028488c3bd0261b634b",
    ),
    (
        3,
        "ae21a229a9e9433a4cf7a02fb964acd6183d980d71eaa69c\
      c292e4ec0175787a26a36c672ae7236375d6d13308eb167a",
    ),
    (
        4,
        "bd05c55a894d5d28116ac4aa604bfaf25577505c3dafa769\
      9044ae3c3f715a892e1999fbd027e6c2ea24b9d1478e80e4",
    ),
    (
        5,
        "543e60e9d53855cb649391ef62d34c539f3e0f921f9aa2fc\
      7d2a0ab7b447567eb601a68bc56ad1cf46243f0904d58515",
    ),
    (
        6,
        "367057085978acc429dc6ec0091b6025971f3df417bde972\
      643e739d288fcf968ea596827a67ad8e2bf330d6e5307afe",
    ),
    (
        7,
        "6c9f14071ffea144951d33c629aa721dd0d589abaff07f94\
      aaa207e0bd4a8116fcb80fe099a626a02054d1c023b6f234",
    ),
    (
        8,
        "44d304e0f8b5db35e539dde3c62d713cc186ff1c7f22f367\
      131a29086f899edd4de298bfc825268c6305f4d242f300a6",
    ),
    (
        9,
        "5eee83fd1380462f0d26857c8c85e806cf5322ef88a79923\
      2fdb885483278189307ea130c73b7f4d14c2d0e9960d2c20",
    ),
    (
        10,
        "2f1b98cd435f551fe397ee4818262b3b550c7800be17e606\
      45393cf26dee5a35725e9ebd0bd50537de4b8e6ca0bbb4ff",
    ),
    (
        11,
        "8da33fb21fe1f68f8466a98174a0f7630df073449beb1100\
      39f6ab00e6ede6c56638c8dd7ad2094102a1e99a645feb3f",
    ),
    (
        12,
        "83cbf35cce01e64e6c8281ce96f19a9d9a9369798cfec4b8\
      f2cf32cfc454a8111a98b223c85b0b1c0f6ed9a03c0cbe82",
    ),
    (
        13,
        "6551f49fc193bc84e78655119c5695ca8485eb576936538a\
      b33835891fb2da21bae8f3acf69c6c10a439201ff55e77ef",
    ),
    (
        14,
        "a0658cdc7061dfd2bcefc0d080ed09df27d26198135ee993\
      211a8addd274f95443c9fe2b6ff50efc0878070d00807632",
    ),
    (
        15,
        "8c570f45d409f087063ee5eeb0f04083074c11e4d61c7805\
      52a50aaed3ac276d53e97644e64368b3da4d344ff7eee715",
    ),
    (
        17,
        "23b6744f78c0ab1207c65c178cbbc5fdafe17c7a8d40e722\
      75132c4ec10562d1da2e97958351977da261cc35d09460b4",
    ),
];

fn check(migrator: &Migrator, landed: &[(i64, &str)]) {
    for (version, checksum) in landed {
        let m = migrator
            .iter()
            .find(|m| m.version == *version)
            .unwrap_or_else(|| panic!("migration {version} is gone"));
        assert_eq!(
            hex::encode(&*m.checksum),
            *checksum,
            "migration {version} ({}) changed",
            m.description
        );
    }
}

#[test]
fn landed_sqlite_migrations_keep_their_checksums() {
    check(&SQLITE_MIGRATIONS, SQLITE);
}

#[test]
fn landed_postgres_migrations_keep_their_checksums() {
    check(&POSTGRES_MIGRATIONS, POSTGRES);
}
