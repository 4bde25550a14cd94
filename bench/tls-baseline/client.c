/* The load client of the bare TLS handshake baseline (bench/handshake.sh): N threads, each making new
 * TCP connections, a full TLS 1.3 handshake (no session resumption), a close_notify, reading until the
 * server's close_notify or EOF (so the server's session tickets are read, not reset), and close.
 * It offers what `exomock load` offers (MailClient's TLS context): groups X25519, P-256, P-384, a key
 * share for X25519, AES-128-GCM first, and SNI. Prints one JSON line:
 *   {"conns", "window_s", "ops" (in the window), "ops_per_s", "total_ops" (warm-up included), "errors"}
 *
 *   cc -O2 -pthread -o client bench/tls-baseline/client.c -lssl -lcrypto
 *   client --port P --ca CA.pem [--host 127.0.0.1] [--sni outlook.office365.us] [--conns 8]
 *          [--duration 10] [--warmup 2]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *host = "127.0.0.1", *sni = "outlook.office365.us";
static int port;
static SSL_CTX *ctx;
static atomic_int phase; /* 0 warm-up, 1 counted window, 2 stop */
static atomic_long window_ops, total_ops, errors;
static atomic_int first_error_printed;

static void report_error(const char *what) {
    atomic_fetch_add(&errors, 1);
    if (atomic_exchange(&first_error_printed, 1) == 0) {
        fprintf(stderr, "tls-baseline client: %s failed (errno %d: %s); ", what, errno, strerror(errno));
        ERR_print_errors_fp(stderr);
        fprintf(stderr, "\n");
    }
    ERR_clear_error();
}

static int one_handshake(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1, ok = 0;
    if (fd < 0) { report_error("socket"); return 0; }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &addr.sin_addr);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) { report_error("connect"); close(fd); return 0; }
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, sni);
    SSL_set1_host(ssl, sni);
    if (SSL_connect(ssl) != 1) {
        report_error("SSL_connect");
    } else if (SSL_version(ssl) != TLS1_3_VERSION) {
        errno = 0;
        report_error("TLS 1.3 negotiation");
    } else {
        char buf[4096];
        SSL_shutdown(ssl); /* our close_notify */
        while (SSL_read(ssl, buf, sizeof buf) > 0) {} /* tickets, then the server's close_notify or EOF */
        ok = 1;
    }
    SSL_free(ssl);
    close(fd);
    return ok;
}

static void *worker(void *arg) {
    (void)arg;
    while (atomic_load(&phase) < 2) {
        int counted = atomic_load(&phase) == 1;
        if (one_handshake()) {
            atomic_fetch_add(&total_ops, 1);
            if (counted && atomic_load(&phase) == 1) atomic_fetch_add(&window_ops, 1);
        }
    }
    return NULL;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void sleep_s(double s) {
    struct timespec t = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
    nanosleep(&t, NULL);
}

int main(int argc, char **argv) {
    const char *ca = NULL;
    int conns = 8;
    double duration = 10, warmup = 2;
    static struct option longs[] = {{"host", 1, 0, 'h'}, {"port", 1, 0, 'p'},     {"ca", 1, 0, 'c'},
                                    {"sni", 1, 0, 's'},  {"conns", 1, 0, 'n'},    {"duration", 1, 0, 'd'},
                                    {"warmup", 1, 0, 'w'}, {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "", longs, NULL)) != -1;) {
        switch (c) {
        case 'h': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'c': ca = optarg; break;
        case 's': sni = optarg; break;
        case 'n': conns = atoi(optarg); break;
        case 'd': duration = atof(optarg); break;
        case 'w': warmup = atof(optarg); break;
        default: fprintf(stderr, "usage: see the comment at the top of client.c\n"); return 2;
        }
    }
    if (!ca || port <= 0 || conns <= 0 || duration <= 0 || warmup < 0) {
        fprintf(stderr, "tls-baseline client: --port and --ca are required; --conns and --duration must be > 0\n");
        return 2;
    }
    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") != 1 ||
        SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256") != 1 ||
        SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    pthread_t *threads = calloc(conns, sizeof *threads);
    for (int i = 0; i < conns; i++) pthread_create(&threads[i], NULL, worker, NULL);
    sleep_s(warmup);
    atomic_store(&phase, 1);
    double start = now();
    sleep_s(duration);
    atomic_store(&phase, 2);
    double window = now() - start;
    for (int i = 0; i < conns; i++) pthread_join(threads[i], NULL);
    long ops = atomic_load(&window_ops);
    printf("{\"conns\":%d,\"window_s\":%.3f,\"ops\":%ld,\"ops_per_s\":%.1f,\"total_ops\":%ld,\"errors\":%ld}\n", conns,
           window, ops, ops / window, atomic_load(&total_ops), atomic_load(&errors));
    return 0;
}
