/* lmdb_probe.c: acknowledged-means-durable check of raw LMDB, to run under powercut.so.
 *
 * Build: gcc -O2 -o lmdb_probe Tools/powercut/lmdb_probe.c -llmdb
 * Use:   lmdb_probe write DIR COUNT [nosync]   commits transactions 1..COUNT; prints each number
 *                                              only after mdb_txn_commit returned 0
 *        lmdb_probe check DIR                  prints "last N" (transactions 1..N all present
 *                                              and intact), exits 1 on a gap or damaged value
 * Transaction t puts key t (in order) and SCATTERED keys spread over the key space (so a commit
 * dirties many pages, which LMDB writes in ~20 calls), all with a 200-byte value derived from t.
 * `nosync` (MDB_NOSYNC) is the negative control: the power-cut simulator must catch it losing
 * acknowledged transactions. Tools/powercut/selftest.py builds and runs both.
 */
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { VALUE_BYTES = 200, SCATTERED = 16 };

static void die(const char *what, int rc) {
    fprintf(stderr, "lmdb_probe: %s: %s\n", what, mdb_strerror(rc));
    exit(2);
}

/* Big-endian, so LMDB's memcmp order is numeric order. Scattered key j of transaction t is an
 * odd multiple of t * SCATTERED + j mod 2^32, which is one-to-one, so no two keys collide. */
static void key_bytes(uint64_t k, unsigned char out[8]) {
    for (int i = 7; i >= 0; i--, k >>= 8) out[i] = (unsigned char)k;
}
static uint64_t scattered(uint64_t t, int j) {
    return (1ULL << 40) + (uint32_t)((t * SCATTERED + (uint64_t)j) * 2654435761u);
}

static void value_bytes(uint64_t t, unsigned char out[VALUE_BYTES]) {
    for (int i = 0; i < VALUE_BYTES; i++) out[i] = (unsigned char)(t * 31 + (uint64_t)i * 7);
}

/* 1 if key k holds transaction t's value. */
static int holds(MDB_txn *txn, MDB_dbi dbi, uint64_t k, uint64_t t) {
    unsigned char kb[8], want[VALUE_BYTES];
    key_bytes(k, kb);
    value_bytes(t, want);
    MDB_val key = { 8, kb }, val;
    return mdb_get(txn, dbi, &key, &val) == 0 && val.mv_size == VALUE_BYTES
        && memcmp(val.mv_data, want, VALUE_BYTES) == 0;
}

/* 1 if every key transaction t put holds its value. */
static int committed(MDB_txn *txn, MDB_dbi dbi, uint64_t t) {
    if (!holds(txn, dbi, t, t)) return 0;
    for (int j = 0; j < SCATTERED; j++)
        if (!holds(txn, dbi, scattered(t, j), t)) return 0;
    return 1;
}

int main(int argc, char **argv) {
    int writing = argc >= 4 && strcmp(argv[1], "write") == 0;
    if (!writing && !(argc == 3 && strcmp(argv[1], "check") == 0)) {
        fprintf(stderr, "usage: lmdb_probe write DIR COUNT [nosync] | lmdb_probe check DIR\n");
        return 2;
    }
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    int rc;
    unsigned flags = writing && argc > 4 && strcmp(argv[4], "nosync") == 0 ? MDB_NOSYNC : 0;
    mkdir(argv[2], 0755);
    if ((rc = mdb_env_create(&env)) || (rc = mdb_env_set_mapsize(env, 1UL << 30))
        || (rc = mdb_env_open(env, argv[2], flags, 0644))) die("open", rc);

    if (writing) {
        uint64_t count = strtoull(argv[3], NULL, 10);
        for (uint64_t t = 1; t <= count; t++) {
            unsigned char kb[8], vb[VALUE_BYTES];
            value_bytes(t, vb);
            if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) || (rc = mdb_dbi_open(txn, NULL, 0, &dbi)))
                die("begin", rc);
            for (int j = -1; j < SCATTERED; j++) {
                key_bytes(j < 0 ? t : scattered(t, j), kb);
                MDB_val key = { 8, kb }, val = { VALUE_BYTES, vb };
                if ((rc = mdb_put(txn, dbi, &key, &val, 0))) die("put", rc);
            }
            if ((rc = mdb_txn_commit(txn))) die("commit", rc);
            printf("%llu\n", (unsigned long long)t);
            fflush(stdout);
        }
    } else {
        if ((rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn))
            || (rc = mdb_dbi_open(txn, NULL, 0, &dbi))) die("begin", rc);
        uint64_t last = 0;
        while (committed(txn, dbi, last + 1)) last++;
        MDB_stat st;
        if ((rc = mdb_stat(txn, dbi, &st))) die("stat", rc);
        printf("last %llu\n", (unsigned long long)last);
        if (st.ms_entries != (1 + SCATTERED) * last) {
            fprintf(stderr, "lmdb_probe: %zu entries, expected %llu: a gap or a damaged value\n",
                    st.ms_entries, (unsigned long long)((1 + SCATTERED) * last));
            return 1;
        }
    }
    mdb_env_close(env);
    return 0;
}
