/* powercut.c: an LD_PRELOAD library that simulates a power cut.
 *
 * Build: gcc -O2 -shared -fPIC -o Tools/powercut/powercut.so Tools/powercut/powercut.c -ldl -lpthread
 * Use:   LD_PRELOAD=$PWD/Tools/powercut/powercut.so POWERCUT_AT=500 POWERCUT_SEED=7 evtool serve ...
 *
 * kill -9 keeps the page cache, so it cannot tell a synced commit from an unsynced one. This
 * library keeps, for every write to a regular file that is not durable yet, the bytes it replaced.
 * At the POWERCUT_AT-th such write (counting from 1) it skips that write, walks the kept writes
 * newest first, reverts each with probability 1/2, and calls _exit(86): the files now hold one of
 * the states a disk may hold after losing power. A write is durable once fsync or fdatasync
 * returned 0 on any descriptor of the same file (same st_dev and st_ino) after it, or as soon as
 * it returns if its descriptor has O_DSYNC or O_SYNC (LMDB writes its meta pages that way).
 *
 * Environment: POWERCUT_AT=N (unset: every call is only forwarded), POWERCUT_SEED (xorshift seed),
 * POWERCUT_LOG=path (one line appended per cut, for debugging).
 * Not simulated: stores through a shared mmap (MDB_WRITEMAP), pwritev, sync_file_range, and
 * directory entries (creat, rename, unlink).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

enum { CUT_EXIT_CODE = 86 };

/* One write that is not durable yet. `old` holds what [offset, offset + length) held before it;
 * bytes that lay past the end of the file are zeros. Zeros rather than ftruncate back to the old
 * size: reverting records one by one then never undoes another record's kept bytes, and it is the
 * harsher outcome a filesystem can leave (size persisted, data not: zeroed pages inside the file). */
struct record {
    struct record *older;
    dev_t dev;
    ino_t ino;
    char *path;             /* to revert through even if the writing descriptor is closed by then */
    off_t offset;
    size_t length;
    unsigned long serial;   /* write order, to tell which records an fsync covered */
    unsigned char *old;
};

/* A write call as made: one iovec for write/pwrite, the caller's array for writev. */
enum kind { PWRITE, WRITE, WRITEV };
struct call { enum kind kind; const struct iovec *iov; int iovcnt; off_t offset; };

static ssize_t (*real_pwrite64)(int, const void *, size_t, off64_t);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;  /* guards everything below */
static unsigned long cut_at;        /* 0: transparent */
static unsigned long writes;        /* tracked writes so far, the cut one included */
static unsigned long serial;
static unsigned long long rng;
static const char *log_path;
static struct record *newest;

static void init(void) {
    real_pwrite64 = dlsym(RTLD_NEXT, "pwrite64");
    real_write = dlsym(RTLD_NEXT, "write");
    real_writev = dlsym(RTLD_NEXT, "writev");
    real_fsync = dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
    const char *at = getenv("POWERCUT_AT"), *seed = getenv("POWERCUT_SEED");
    cut_at = at ? strtoul(at, NULL, 10) : 0;
    rng = seed ? strtoull(seed, NULL, 10) : 0;
    if (rng == 0) rng = 0x9E3779B97F4A7C15ULL;  /* xorshift never leaves 0 */
    log_path = getenv("POWERCUT_LOG");
}

/* xorshift64*: the multiply spreads small seeds into the top bit, which decides each revert. */
static int coin(void) {
    rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27;
    return (rng * 0x2545F4914F6CDD1DULL) >> 63;
}

static ssize_t perform(int fd, const struct call *c) {
    switch (c->kind) {
    case PWRITE: return real_pwrite64(fd, c->iov[0].iov_base, c->iov[0].iov_len, c->offset);
    case WRITE: return real_write(fd, c->iov[0].iov_base, c->iov[0].iov_len);
    default: return real_writev(fd, c->iov, c->iovcnt);
    }
}

/* Copies bytes [from, from + n) of what the call writes to dst. */
static void payload(const struct call *c, size_t from, size_t n, unsigned char *dst) {
    for (int i = 0; i < c->iovcnt && n > 0; i++) {
        size_t len = c->iov[i].iov_len;
        if (from >= len) { from -= len; continue; }
        size_t take = len - from < n ? len - from : n;
        memcpy(dst, (const unsigned char *)c->iov[i].iov_base + from, take);
        dst += take; n -= take; from = 0;
    }
}

/* A durable write is on disk: where older records overlap it they must revert to its bytes. */
static void patch(const struct stat *st, const struct call *c, size_t n) {
    for (struct record *r = newest; r; r = r->older) {
        if (r->dev != st->st_dev || r->ino != st->st_ino) continue;
        off_t lo = c->offset > r->offset ? c->offset : r->offset;
        off_t hi = c->offset + (off_t)n < r->offset + (off_t)r->length
                 ? c->offset + (off_t)n : r->offset + (off_t)r->length;
        if (lo < hi) payload(c, lo - c->offset, hi - lo, r->old + (lo - r->offset));
    }
}

/* The power cut: revert each kept record with probability 1/2, newest first, log, exit. Called
 * with the lock held and never releases it, so no other thread writes in between. */
static void cut(void) {
    unsigned long reverted = 0, kept = 0, failed = 0;
    for (struct record *r = newest; r; r = r->older) {
        if (!coin()) { kept++; continue; }
        struct stat st;
        int fd = open(r->path, O_WRONLY | O_CLOEXEC);  /* not O_APPEND, so pwrite lands in place */
        if (fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == r->dev && st.st_ino == r->ino
            && real_pwrite64(fd, r->old, r->length, r->offset) == (ssize_t)r->length) reverted++;
        else failed++;
        if (fd >= 0) close(fd);
    }
    int fd = log_path ? open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
    if (fd >= 0) {
        char line[200];  /* real_write: a buffered or interposed write would deadlock here */
        int n = snprintf(line, sizeof line, "powercut: pid %d cut at write %lu: %lu unsynced writes"
                         " reverted, %lu kept, %lu could not be reverted\n",
                         (int)getpid(), writes, reverted, kept, failed);
        real_write(fd, line, (size_t)n);
        close(fd);
    }
    _exit(CUT_EXIT_CODE);
}

/* Performs a write; for a regular file, keeps what it replaces unless it is durable on return. */
static ssize_t guarded(int fd, struct call *c) {
    pthread_once(&once, init);
    struct stat st;
    if (!cut_at || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return perform(fd, c);
    int flags = fcntl(fd, F_GETFL);
    if (flags == -1) flags = 0;
    size_t length = 0;
    for (int i = 0; i < c->iovcnt; i++) length += c->iov[i].iov_len;

    pthread_mutex_lock(&lock);
    fstat(fd, &st);  /* again under the lock: another thread may have grown the file */
    if (flags & O_APPEND) c->offset = st.st_size;  /* Linux appends even for pwrite */
    else if (c->kind != PWRITE) c->offset = lseek(fd, 0, SEEK_CUR);
    ssize_t n;
    if (flags & (O_DSYNC | O_SYNC)) {
        n = perform(fd, c);
        if (n > 0) patch(&st, c, (size_t)n);
    } else {
        if (++writes == cut_at) cut();
        char proc[64], path[4096];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        ssize_t plen = readlink(proc, path, sizeof path - 1);
        path[plen < 0 ? 0 : plen] = '\0';
        struct record *r = calloc(1, sizeof *r);
        unsigned char *old = calloc(1, length ? length : 1);
        char *name = strdup(path);
        if (!r || !old || !name || plen < 0) abort();  /* cannot keep this library's promise */
        if (pread(fd, old, length, c->offset) < 0) {  /* write-only descriptor: read via /proc */
            int rfd = open(proc, O_RDONLY | O_CLOEXEC);
            if (rfd < 0 || pread(rfd, old, length, c->offset) < 0) abort();
            close(rfd);
        }
        n = perform(fd, c);
        int saved = errno;
        if (n > 0) {
            *r = (struct record){ newest, st.st_dev, st.st_ino, name, c->offset, (size_t)n,
                                  ++serial, old };
            newest = r;
        } else {
            free(r);
            free(old);
            free(name);
        }
        errno = saved;
    }
    pthread_mutex_unlock(&lock);
    return n;
}

/* Forwards an fsync or fdatasync; on success, the file's records made before it are durable. */
static int synced(int fd, int datasync) {
    pthread_once(&once, init);
    int (*real)(int) = datasync ? real_fdatasync : real_fsync;
    struct stat st;
    if (!cut_at || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return real(fd);
    pthread_mutex_lock(&lock);
    unsigned long covered = serial;  /* writes finished later may have missed this sync */
    pthread_mutex_unlock(&lock);
    int rc = real(fd);
    if (rc != 0) return rc;
    pthread_mutex_lock(&lock);
    for (struct record **p = &newest; *p;) {
        struct record *r = *p;
        if (r->dev == st.st_dev && r->ino == st.st_ino && r->serial <= covered) {
            *p = r->older;
            free(r->path); free(r->old); free(r);
        } else {
            p = &r->older;
        }
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t offset) {
    struct iovec v = { (void *)buf, n };
    return guarded(fd, &(struct call){ PWRITE, &v, 1, offset });
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t offset) {
    struct iovec v = { (void *)buf, n };
    return guarded(fd, &(struct call){ PWRITE, &v, 1, offset });
}

ssize_t write(int fd, const void *buf, size_t n) {
    struct iovec v = { (void *)buf, n };
    return guarded(fd, &(struct call){ WRITE, &v, 1, 0 });
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt) {
    return guarded(fd, &(struct call){ WRITEV, iov, iovcnt, 0 });
}

int fsync(int fd) { return synced(fd, 0); }
int fdatasync(int fd) { return synced(fd, 1); }
