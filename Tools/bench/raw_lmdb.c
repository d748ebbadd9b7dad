/* raw_lmdb.c: the engine's write and read paths in plain C over LMDB, as a baseline to run in
 * the same benchmark session as the engine, so the gap between them is the engine's own cost.
 *
 * Build: gcc -O2 -o Tools/bench/raw-lmdb Tools/bench/raw_lmdb.c -llmdb
 * Use:   raw-lmdb append --dir D --events N --batch B --streams S [--value-size 200] [--ids v7|v4]
 *        raw-lmdb scan --dir D [--no-crc]
 *        raw-lmdb scan-stream --dir D --stream K [--no-crc]
 *
 * Same layout as the engine: one environment (default durability, so every commit is synced,
 * plus MDB_NOTLS) with three named databases:
 *   log:  position (8 B big-endian, from 1, MDB_APPEND) -> record (64-byte header, type, payload)
 *   seqs: stream (8 B BE) + first seq (8 B BE) -> first position (8 B LE) + count (4 B LE)
 *   ids:  event id (16 B) -> position (8 B LE)
 * Per event it does what the engine's writer does: check the id is new, write the record, the
 * run entry (extended in place while a stream's events are adjacent in the log) and the id;
 * before a stream's first event in a transaction it finds the stream's head with a cursor.
 * An append continues after whatever `log` already holds, so a directory can be reused.
 */
#include <errno.h>
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

enum { HEADER_BYTES = 64, RECORD_VERSION = 1, ID_BYTES = 16, RECORD_BYTES_MAX = 1 << 16 };
static const char EVENT_TYPE[] = "Deposited";
/* The engine stores `{}` when an event has no metadata; it is part of every payload. */
static const char EMPTY_METADATA[] = "{}";

static void die(const char *what, int rc) {
    fprintf(stderr, "raw-lmdb: %s: %s\n", what, mdb_strerror(rc));
    exit(2);
}
#define CHECK(call) do { int rc_ = (call); if (rc_ != 0) die(#call, rc_); } while (0)

static double seconds_since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Explicit byte order, so the file is the engine's whatever the host. */
static void put_be64(unsigned char *p, uint64_t v) { for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (unsigned char)v; }
static void put_le(unsigned char *p, uint64_t v, int bytes) { for (int i = 0; i < bytes; i++, v >>= 8) p[i] = (unsigned char)v; }
static uint64_t get_be64(const unsigned char *p) { uint64_t v = 0; for (int i = 0; i < 8; i++) v = v << 8 | p[i]; return v; }
static uint64_t get_le(const unsigned char *p, int bytes) { uint64_t v = 0; for (int i = bytes - 1; i >= 0; i--) v = v << 8 | p[i]; return v; }

/* CRC-32C, slicing-by-8 in software: the same algorithm as Sources/EventStore/CRC32C.swift, so the
 * checksum costs here what it costs the engine. */
static uint32_t crc_table[8][256];

static void crc32c_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t crc = i;
        for (int bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        crc_table[0][i] = crc;
    }
    for (int i = 0; i < 256; i++)
        for (int slice = 1; slice < 8; slice++)
            crc_table[slice][i] = (crc_table[slice - 1][i] >> 8) ^ crc_table[0][crc_table[slice - 1][i] & 0xFF];
}

static uint32_t crc32c(const unsigned char *p, size_t n) {
    uint32_t crc = 0xFFFFFFFFu;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w = get_le(p, 8) ^ crc;
        crc = crc_table[7][w & 0xFF] ^ crc_table[6][(w >> 8) & 0xFF] ^ crc_table[5][(w >> 16) & 0xFF]
            ^ crc_table[4][(w >> 24) & 0xFF] ^ crc_table[3][(w >> 32) & 0xFF] ^ crc_table[2][(w >> 40) & 0xFF]
            ^ crc_table[1][(w >> 48) & 0xFF] ^ crc_table[0][w >> 56];
    }
    for (; n > 0; p++, n--) crc = crc_table[0][(crc ^ *p) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

/* splitmix64: cheap enough not to show in the figures; seeded from the clock so runs into the
 * same directory draw different event ids. */
static uint64_t rng_state;
static uint64_t rng_next(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

struct store { MDB_env *env; MDB_dbi log, seqs, ids; };

static struct store store_open(const char *dir) {
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) { perror(dir); exit(2); }
    struct store s;
    CHECK(mdb_env_create(&s.env));
    CHECK(mdb_env_set_maxdbs(s.env, 8));
    /* Virtual only: LMDB reserves address space, the file grows with what is written. */
    CHECK(mdb_env_set_mapsize(s.env, (size_t)64 << 30));
    CHECK(mdb_env_open(s.env, dir, MDB_NOTLS, 0644));
    MDB_txn *txn;
    CHECK(mdb_txn_begin(s.env, NULL, 0, &txn));
    CHECK(mdb_dbi_open(txn, "log", MDB_CREATE, &s.log));
    CHECK(mdb_dbi_open(txn, "seqs", MDB_CREATE, &s.seqs));
    CHECK(mdb_dbi_open(txn, "ids", MDB_CREATE, &s.ids));
    CHECK(mdb_txn_commit(txn));
    return s;
}

/* A stream's last run of adjacent positions, as its `seqs` entry holds it. */
struct run { uint64_t first_seq, first_position; uint32_t count; };

/* The engine's head lookup: the last `seqs` key below (stream + 1, 0). */
static struct run stream_head(MDB_cursor *seqs, uint64_t stream) {
    unsigned char kb[16];
    put_be64(kb, stream + 1);
    put_be64(kb + 8, 0);
    MDB_val key = { sizeof kb, kb }, val;
    int rc = mdb_cursor_get(seqs, &key, &val, MDB_SET_RANGE);
    if (rc == 0) rc = mdb_cursor_get(seqs, &key, &val, MDB_PREV);
    else if (rc == MDB_NOTFOUND) rc = mdb_cursor_get(seqs, &key, &val, MDB_LAST);
    if (rc != 0 && rc != MDB_NOTFOUND) die("stream head", rc);
    struct run head = { 1, 0, 0 }; /* a new stream: its first event gets seq 1 */
    if (rc == 0 && get_be64(key.mv_data) == stream) {
        head.first_seq = get_be64((unsigned char *)key.mv_data + 8);
        head.first_position = get_le(val.mv_data, 8);
        head.count = (uint32_t)get_le((unsigned char *)val.mv_data + 8, 4);
    }
    return head;
}

/* Lays out one record in `out` and returns its size. */
static size_t encode_record(unsigned char *out, uint64_t stream, uint64_t seq, int64_t time_ms,
                            const unsigned char *id, const unsigned char *payload, size_t payload_bytes) {
    size_t type_bytes = sizeof EVENT_TYPE - 1, metadata_bytes = sizeof EMPTY_METADATA - 1;
    size_t size = HEADER_BYTES + type_bytes + payload_bytes;
    out[0] = RECORD_VERSION;
    out[1] = 0; /* flags: not compressed */
    put_le(out + 2, type_bytes, 2);
    put_le(out + 8, stream, 8);
    put_le(out + 16, seq, 8);
    put_le(out + 24, (uint64_t)time_ms, 8);
    memcpy(out + 32, id, ID_BYTES);
    put_le(out + 48, payload_bytes - metadata_bytes, 4);
    put_le(out + 52, metadata_bytes, 4);
    put_le(out + 56, payload_bytes, 4);
    put_le(out + 60, 0, 4);
    memcpy(out + HEADER_BYTES, EVENT_TYPE, type_bytes);
    memcpy(out + HEADER_BYTES + type_bytes, payload, payload_bytes);
    put_le(out + 4, crc32c(out + 8, size - 8), 4);
    return size;
}

/* The engine checks every record it reads: LMDB 0.9.24 can return damaged bytes without an error.
 * Returns a byte of the payload so the caller's sum depends on the value's memory being read. */
static unsigned check_record(const MDB_val *val, int verify_crc) {
    const unsigned char *r = val->mv_data;
    if (val->mv_size < HEADER_BYTES || r[0] != RECORD_VERSION
        || HEADER_BYTES + get_le(r + 2, 2) + get_le(r + 56, 4) != val->mv_size)
        die("damaged record header", MDB_CORRUPTED);
    if (verify_crc && crc32c(r + 8, val->mv_size - 8) != get_le(r + 4, 4)) die("record CRC32C", MDB_CORRUPTED);
    return r[val->mv_size - 1];
}

/* Event ids as the engine generates them (UUIDv7, time-ordered) unless --ids v4 asks for random
 * ones, as clients that send their own ids would. */
static int random_ids = 0;

static void append(const char *dir, uint64_t events, uint64_t batch, uint64_t streams, size_t value_bytes) {
    struct store s = store_open(dir);
    MDB_txn *txn;
    MDB_cursor *cursor;
    MDB_val key, val;
    uint64_t position = 1;
    CHECK(mdb_txn_begin(s.env, NULL, MDB_RDONLY, &txn));
    CHECK(mdb_cursor_open(txn, s.log, &cursor));
    if (mdb_cursor_get(cursor, &key, &val, MDB_LAST) == 0) position = get_be64(key.mv_data) + 1;
    mdb_txn_abort(txn);

    /* JSON data padded to the size asked for, then the engine's `{}` metadata. */
    unsigned char payload[RECORD_BYTES_MAX];
    size_t data_bytes = value_bytes - (sizeof EMPTY_METADATA - 1);
    int prefix = snprintf((char *)payload, sizeof payload, "{\"account\":\"acct-0042\",\"amount\":12500,\"note\":\"");
    memset(payload + prefix, 'x', data_bytes - (size_t)prefix - 2);
    memcpy(payload + data_bytes - 2, "\"}", 2);
    memcpy(payload + data_bytes, EMPTY_METADATA, sizeof EMPTY_METADATA - 1);

    /* Each stream's head as of this transaction, loaded on its first event here (loaded_in). */
    struct run *heads = calloc(streams + 1, sizeof *heads);
    uint64_t *loaded_in = calloc(streams + 1, sizeof *loaded_in);
    if (!heads || !loaded_in) { perror("calloc"); exit(2); }

    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (uint64_t done = 0, txn_number = 1; done < events; txn_number++) {
        struct timespec wall;
        clock_gettime(CLOCK_REALTIME, &wall);
        int64_t time_ms = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
        CHECK(mdb_txn_begin(s.env, NULL, 0, &txn));
        CHECK(mdb_cursor_open(txn, s.seqs, &cursor));
        for (uint64_t end = done + batch < events ? done + batch : events; done < end; done++, position++) {
            uint64_t stream = 1 + rng_next() % streams;
            if (loaded_in[stream] != txn_number) {
                heads[stream] = stream_head(cursor, stream);
                loaded_in[stream] = txn_number;
            }
            struct run *head = &heads[stream];

            unsigned char id[ID_BYTES], position_le[8], run_key[16], run_value[12], pos_key[8];
            uint64_t hi = rng_next(), lo = rng_next();
            put_le(id, hi, 8);
            put_le(id + 8, lo, 8);
            if (random_ids) {
                id[6] = (id[6] & 0x0F) | 0x40; /* UUIDv4: ids a client makes up */
            } else {
                /* UUIDv7, as the engine generates: 48 bits of ms first, so ids arrive in order. */
                put_be64(id, (uint64_t)time_ms << 16 | (hi & 0xFFFF));
                id[6] = (id[6] & 0x0F) | 0x70;
            }
            id[8] = (id[8] & 0x3F) | 0x80;
            key = (MDB_val){ ID_BYTES, id };
            int rc = mdb_get(txn, s.ids, &key, &val);
            if (rc != MDB_NOTFOUND) die("event id already stored", rc == 0 ? MDB_KEYEXIST : rc);

            unsigned char record[RECORD_BYTES_MAX];
            uint64_t seq = head->first_seq + head->count;
            put_be64(pos_key, position);
            key = (MDB_val){ 8, pos_key };
            val = (MDB_val){ encode_record(record, stream, seq, time_ms, id, payload, value_bytes), record };
            CHECK(mdb_put(txn, s.log, &key, &val, MDB_APPEND));

            /* Adjacent to the stream's last run: overwrite that entry; else start a new run. */
            if (head->count > 0 && head->first_position + head->count == position) {
                head->count++;
            } else {
                *head = (struct run){ seq, position, 1 };
            }
            put_be64(run_key, stream);
            put_be64(run_key + 8, head->first_seq);
            put_le(run_value, head->first_position, 8);
            put_le(run_value + 8, head->count, 4);
            key = (MDB_val){ sizeof run_key, run_key };
            val = (MDB_val){ sizeof run_value, run_value };
            CHECK(mdb_put(txn, s.seqs, &key, &val, 0));

            put_le(position_le, position, 8);
            key = (MDB_val){ ID_BYTES, id };
            val = (MDB_val){ sizeof position_le, position_le };
            CHECK(mdb_put(txn, s.ids, &key, &val, MDB_NOOVERWRITE));
        }
        mdb_cursor_close(cursor);
        CHECK(mdb_txn_commit(txn));
    }
    double seconds = seconds_since(&start);
    printf("append streams=%llu batch=%llu events=%llu seconds=%.3f events_per_s=%.0f\n",
           (unsigned long long)streams, (unsigned long long)batch, (unsigned long long)events, seconds,
           (double)events / seconds);
    free(heads);
    free(loaded_in);
    mdb_env_close(s.env);
}

/* Whole log in key order (stream < 0), or one stream through its `seqs` runs. */
static void scan(const char *dir, int64_t stream, int verify_crc) {
    struct store s = store_open(dir);
    MDB_txn *txn;
    MDB_cursor *log, *seqs;
    MDB_val key, val;
    uint64_t count = 0;
    volatile unsigned sink = 0; /* keeps the payload reads from being optimized away */
    unsigned sum = 0;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    CHECK(mdb_txn_begin(s.env, NULL, MDB_RDONLY, &txn));
    CHECK(mdb_cursor_open(txn, s.log, &log));
    if (stream < 0) {
        int rc;
        while ((rc = mdb_cursor_get(log, &key, &val, MDB_NEXT)) == 0) {
            sum += check_record(&val, verify_crc);
            count++;
        }
        if (rc != MDB_NOTFOUND) die("log cursor", rc);
    } else {
        unsigned char kb[16], pb[8];
        put_be64(kb, (uint64_t)stream);
        put_be64(kb + 8, 0);
        key = (MDB_val){ sizeof kb, kb };
        CHECK(mdb_cursor_open(txn, s.seqs, &seqs));
        int rc = mdb_cursor_get(seqs, &key, &val, MDB_SET_RANGE);
        for (; rc == 0 && get_be64(key.mv_data) == (uint64_t)stream; rc = mdb_cursor_get(seqs, &key, &val, MDB_NEXT)) {
            uint64_t run_count = get_le((unsigned char *)val.mv_data + 8, 4);
            put_be64(pb, get_le(val.mv_data, 8));
            MDB_val log_key = { sizeof pb, pb }, record;
            CHECK(mdb_cursor_get(log, &log_key, &record, MDB_SET_KEY));
            for (uint64_t i = 0; i < run_count; i++) {
                if (i > 0) CHECK(mdb_cursor_get(log, &log_key, &record, MDB_NEXT));
                sum += check_record(&record, verify_crc);
                if (get_le((unsigned char *)record.mv_data + 8, 8) != (uint64_t)stream) die("run points at another stream", MDB_CORRUPTED);
                count++;
            }
        }
        if (rc != 0 && rc != MDB_NOTFOUND) die("seqs cursor", rc);
    }
    mdb_txn_abort(txn);
    double seconds = seconds_since(&start);
    sink = sum;
    (void)sink;
    printf("scan events=%llu seconds=%.3f events_per_s=%.0f\n", (unsigned long long)count, seconds,
           (double)count / seconds);
    mdb_env_close(s.env);
}

static void usage(void) {
    fprintf(stderr, "usage: raw-lmdb append --dir D --events N --batch B --streams S [--value-size 200] [--ids v7|v4]\n"
                    "       raw-lmdb scan --dir D [--no-crc]\n"
                    "       raw-lmdb scan-stream --dir D --stream K [--no-crc]\n");
    exit(64);
}

static uint64_t number(const char *text) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end || end == text || text[0] == '-') usage();
    return v;
}

int main(int argc, char **argv) {
    if (argc < 2) usage();
    const char *command = argv[1], *dir = NULL;
    uint64_t events = 0, batch = 0, streams = 0, value_bytes = 200;
    int64_t stream = -1;
    int verify_crc = 1;
    for (int i = 2; i < argc; i++) {
        const char *flag = argv[i];
        if (strcmp(flag, "--no-crc") == 0) { verify_crc = 0; continue; }
        if (i + 1 >= argc) usage();
        const char *value = argv[++i];
        if (strcmp(flag, "--dir") == 0) dir = value;
        else if (strcmp(flag, "--events") == 0) events = number(value);
        else if (strcmp(flag, "--batch") == 0) batch = number(value);
        else if (strcmp(flag, "--streams") == 0) streams = number(value);
        else if (strcmp(flag, "--value-size") == 0) value_bytes = number(value);
        else if (strcmp(flag, "--stream") == 0) stream = (int64_t)number(value);
        else if (strcmp(flag, "--ids") == 0 && (strcmp(value, "v4") == 0 || strcmp(value, "v7") == 0)) random_ids = value[1] == '4';
        else usage();
    }
    if (!dir) usage();
    crc32c_init();
    struct timespec seed;
    clock_gettime(CLOCK_REALTIME, &seed);
    rng_state = (uint64_t)seed.tv_sec * 1000000000ull + (uint64_t)seed.tv_nsec;

    if (strcmp(command, "append") == 0) {
        /* The payload must hold the JSON prefix and closing bytes, and a record must fit a buffer. */
        if (!events || !batch || !streams || value_bytes < 64 || value_bytes > RECORD_BYTES_MAX - 256) usage();
        append(dir, events, batch, streams, (size_t)value_bytes);
    } else if (strcmp(command, "scan") == 0) {
        scan(dir, -1, verify_crc);
    } else if (strcmp(command, "scan-stream") == 0) {
        if (stream < 1) usage();
        scan(dir, stream, verify_crc);
    } else {
        usage();
    }
    return 0;
}
