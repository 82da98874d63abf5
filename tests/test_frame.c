/* The STOMP frame codec: round trips, incremental input, escaping, and hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "beekeeper/error.h"
#include "stomp/frame.h"

typedef struct fx {
    bkp_parser *p;
    struct evbuffer *in;
    bkp_frame f;
} fx;

static int setup(void **state)
{
    fx *x = calloc(1, sizeof *x);
    assert_non_null(x);
    assert_int_equal(bkp_parser_new(&x->p, NULL), 0);
    x->in = evbuffer_new();
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    fx *x = *state;
    bkp_parser_free(x->p);
    evbuffer_free(x->in);
    free(x);
    return 0;
}

static int feed(fx *x, const void *d, size_t n)
{
    evbuffer_add(x->in, d, n);
    return bkp_parser_next(x->p, x->in, &x->f);
}

#define FEED(x, lit) feed((x), (lit), sizeof(lit) - 1)

static void parses_a_simple_frame(void **state)
{
    fx *x = *state;
    assert_int_equal(FEED(x, "SEND\ndestination:/queue/a\nreceipt:7\n\nhello\0"), 1);
    assert_int_equal(x->f.cmd, BKP_CMD_SEND);
    assert_int_equal(x->f.nheaders, 2);
    assert_string_equal(bkp_frame_get(&x->f, "destination"), "/queue/a");
    assert_string_equal(bkp_frame_get(&x->f, "receipt"), "7");
    assert_null(bkp_frame_get(&x->f, "missing"));
    assert_int_equal(x->f.body_len, 5);
    assert_memory_equal(x->f.body, "hello", 6); /* NUL-terminated too */
    assert_int_equal(evbuffer_get_length(x->in), 0);
}

static void content_length_body_may_hold_nuls(void **state)
{
    fx *x = *state;
    assert_int_equal(FEED(x, "MESSAGE\ncontent-length:5\n\na\0b\0c\0"), 1);
    assert_int_equal(x->f.body_len, 5);
    assert_memory_equal(x->f.body, "a\0b\0c", 5);
}

static void crlf_lines_and_heartbeats(void **state)
{
    fx *x = *state;
    assert_int_equal(FEED(x, "\n\r\n\nRECEIPT\r\nreceipt-id:9\r\n\r\n\0\n"), 1);
    assert_int_equal(x->f.cmd, BKP_CMD_RECEIPT);
    assert_string_equal(bkp_frame_get(&x->f, "receipt-id"), "9");
    assert_int_equal(bkp_parser_heartbeats(x->p), 3);
    /* The EOL after the frame is a heart-beat too. */
    assert_int_equal(bkp_parser_next(x->p, x->in, &x->f), 0);
    assert_int_equal(bkp_parser_heartbeats(x->p), 4);
}

static void first_of_repeated_headers_wins(void **state)
{
    fx *x = *state;
    assert_int_equal(FEED(x, "MESSAGE\nfoo:1\nfoo:2\n\n\0"), 1);
    assert_string_equal(bkp_frame_get(&x->f, "foo"), "1");
    assert_int_equal(x->f.nheaders, 2);
}

static void unescapes_values_but_not_on_connect(void **state)
{
    fx *x = *state;
    assert_int_equal(FEED(x, "MESSAGE\na\\cb:x\\ny\\rz\\\\w\\c\n\n\0"), 1);
    assert_string_equal(bkp_frame_get(&x->f, "a:b"), "x\ny\rz\\w:");
    assert_int_equal(FEED(x, "CONNECT\nlogin:a\\nb\n\n\0"), 1);
    assert_string_equal(bkp_frame_get(&x->f, "login"), "a\\nb");
    assert_int_equal(FEED(x, "CONNECTED\nserver:x\\cy\n\n\0"), 1);
    assert_string_equal(bkp_frame_get(&x->f, "server"), "x\\cy");
}

static void undefined_escape_is_kept_and_unescape_can_be_off(void **state)
{
    fx *x = *state;
    assert_int_equal(FEED(x, "SEND\nv:C:\\temp\\q\n\n\0"), 1);
    assert_string_equal(bkp_frame_get(&x->f, "v"), "C:\\temp\\q");
    bkp_parser_set_unescape(x->p, 0);
    assert_int_equal(FEED(x, "SEND\nv:a\\nb\n\n\0"), 1);
    assert_string_equal(bkp_frame_get(&x->f, "v"), "a\\nb");
}

static void several_frames_in_one_buffer(void **state)
{
    fx *x = *state;
    struct evbuffer *out = evbuffer_new();
    for (int i = 0; i < 100; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        assert_int_equal(bkp_frame_write(out, BKP_CMD_SEND,
                                         (bkp_header[]){{"n", v, 0, 0}}, 1, v, strlen(v), 0), 0);
    }
    evbuffer_add_buffer(x->in, out);
    for (int i = 0; i < 100; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        assert_int_equal(bkp_parser_next(x->p, x->in, &x->f), 1);
        assert_string_equal(bkp_frame_get(&x->f, "n"), v);
        assert_int_equal(x->f.body_len, strlen(v));
    }
    assert_int_equal(bkp_parser_next(x->p, x->in, &x->f), 0);
    evbuffer_free(out);
}

/* Encodes one frame with every awkward thing in it, then feeds it split at every position. */
static void split_at_every_byte(void **state)
{
    fx *x = *state;
    struct evbuffer *out = evbuffer_new();
    bkp_enc e;
    bkp_enc_begin(&e, out, BKP_CMD_MESSAGE, 0);
    bkp_enc_header(&e, "destination", "/topic/a.b");
    bkp_enc_header(&e, "we:ird\\", "line\nbreak\r:colon");
    bkp_enc_header_u64(&e, "n", UINT64_MAX);
    assert_int_equal(bkp_enc_end(&e, "x\0y", 3), 0);
    size_t n = evbuffer_get_length(out);
    unsigned char *wire = malloc(n);
    evbuffer_remove(out, wire, n);
    for (size_t cut = 0; cut <= n; cut++) {
        assert_int_equal(feed(x, wire, cut), cut == n ? 1 : 0);
        if (cut < n)
            assert_int_equal(feed(x, wire + cut, n - cut), 1);
        assert_int_equal(x->f.cmd, BKP_CMD_MESSAGE);
        assert_string_equal(bkp_frame_get(&x->f, "we:ird\\"), "line\nbreak\r:colon");
        assert_string_equal(bkp_frame_get(&x->f, "n"), "18446744073709551615");
        assert_string_equal(bkp_frame_get(&x->f, "content-length"), "3");
        assert_memory_equal(x->f.body, "x\0y", 3);
    }
    /* Byte by byte. */
    for (size_t i = 0; i < n; i++)
        assert_int_equal(feed(x, wire + i, 1), i + 1 == n ? 1 : 0);
    free(wire);
    evbuffer_free(out);
}

static void encoder_does_not_escape_connect(void **state)
{
    (void)state;
    struct evbuffer *out = evbuffer_new();
    assert_int_equal(bkp_frame_write(out, BKP_CMD_CONNECT, (bkp_header[]){{"login", "a:b", 0, 0}},
                                     1, NULL, 0, BKP_ENC_NO_LENGTH), 0);
    const char want[] = "CONNECT\nlogin:a:b\n\n";
    assert_int_equal(evbuffer_get_length(out), sizeof want);
    assert_memory_equal(evbuffer_pullup(out, -1), want, sizeof want);
    evbuffer_free(out);
}

static void raw_flag_turns_escaping_off(void **state)
{
    (void)state;
    struct evbuffer *out = evbuffer_new();
    assert_int_equal(bkp_frame_write(out, BKP_CMD_SEND, (bkp_header[]){{"k", "a:b", 0, 0}}, 1,
                                     "", 0, BKP_ENC_RAW), 0);
    const char want[] = "SEND\nk:a:b\ncontent-length:0\n\n";
    assert_memory_equal(evbuffer_pullup(out, -1), want, sizeof want);
    evbuffer_free(out);
}

static void long_header_values_round_trip(void **state)
{
    fx *x = *state;
    char big[5000];
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    big[10] = ':';
    struct evbuffer *out = evbuffer_new();
    assert_int_equal(bkp_frame_write(out, BKP_CMD_SEND, (bkp_header[]){{"big", big, 0, 0}}, 1,
                                     NULL, 0, 0), 0);
    evbuffer_add_buffer(x->in, out);
    assert_int_equal(bkp_parser_next(x->p, x->in, &x->f), 1);
    assert_string_equal(bkp_frame_get(&x->f, "big"), big);
    evbuffer_free(out);
}

/* Hostile input: each case ends in the named error, and the parser stays failed. */
static void expect_error(const char *wire, size_t n, int err, const char *words,
                         const bkp_limits *lim)
{
    bkp_parser *p;
    struct evbuffer *in = evbuffer_new();
    bkp_frame f;
    assert_int_equal(bkp_parser_new(&p, lim), 0);
    evbuffer_add(in, wire, n);
    int rc = bkp_parser_next(p, in, &f);
    if (rc != err)
        fail_msg("expected %d, got %d (%s) for input of %zu bytes", err, rc, bkp_parser_error(p), n);
    assert_non_null(strstr(bkp_parser_error(p), words));
    assert_int_equal(bkp_parser_next(p, in, &f), err);
    bkp_parser_free(p);
    evbuffer_free(in);
}

#define EXPECT(lit, err, words, lim) expect_error((lit), sizeof(lit) - 1, (err), (words), (lim))

static void rejects_malformed_frames(void **state)
{
    (void)state;
    EXPECT("FROB\n\n\0", BK_EPROTO, "unknown command 'FROB'", NULL);
    EXPECT("send\n\n\0", BK_EPROTO, "unknown command", NULL);
    EXPECT("\x01\x02\xff\n\n\0", BK_EPROTO, "unknown command '?\?\?'", NULL);
    EXPECT("SEND\nnocolon\n\n\0", BK_EPROTO, "without ':'", NULL);
    EXPECT("SEND\ncontent-length:12x\n\n\0", BK_EPROTO, "invalid content-length", NULL);
    EXPECT("SEND\ncontent-length:-1\n\n\0", BK_EPROTO, "invalid content-length", NULL);
    EXPECT("SEND\ncontent-length:\n\n\0", BK_EPROTO, "invalid content-length", NULL);
    EXPECT("SEND\ncontent-length:99999999999999999999999\n\n\0", BK_EPROTO,
           "invalid content-length", NULL);
    EXPECT("SEND\ncontent-length:2\n\nabX", BK_EPROTO, "not followed by NUL", NULL);
    EXPECT("\rX", BK_EPROTO, "CR not followed by LF", NULL);
}

static void enforces_limits(void **state)
{
    (void)state;
    bkp_limits small = {.max_frame = 64, .max_headers = 2, .max_header_bytes = 32};
    EXPECT("SEND\na:1\nb:2\nc:3\n\n\0", BK_ELIMIT, "more than 2 headers", &small);
    EXPECT("SEND\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", BK_ELIMIT,
           "header section exceeds the limit of 32", &small);
    EXPECT("SEND\ncontent-length:1000\n\n", BK_ELIMIT, "exceeds the limit of 64", &small);
    EXPECT("SEND\n\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
           BK_ELIMIT, "exceeds the limit of 64", &small);
    /* The default refuses a 1 GiB content-length before any body byte arrives. */
    EXPECT("SEND\ncontent-length:1073741824\n\n", BK_ELIMIT, "exceeds", NULL);
}

/* An endless header line fed in pieces never buffers past the limit. */
static void endless_header_is_refused_early(void **state)
{
    (void)state;
    bkp_limits lim = {.max_header_bytes = 1024};
    bkp_parser *p;
    struct evbuffer *in = evbuffer_new();
    bkp_frame f;
    char chunk[100];
    memset(chunk, 'h', sizeof chunk);
    assert_int_equal(bkp_parser_new(&p, &lim), 0);
    evbuffer_add(in, "SEND\n", 5);
    int rc = 0, i;
    for (i = 0; i < 1000 && rc == 0; i++) {
        evbuffer_add(in, chunk, sizeof chunk);
        rc = bkp_parser_next(p, in, &f);
    }
    assert_int_equal(rc, BK_ELIMIT);
    assert_true(i <= 12);
    bkp_parser_free(p);
    evbuffer_free(in);
}

static void trim_releases_buffers_when_idle(void **state)
{
    fx *x = *state;
    assert_int_equal(FEED(x, "SEND\na:1\n\nbody\0"), 1);
    bkp_parser_trim(x->p);
    assert_int_equal(FEED(x, "SEND\nb:2\n\nnext\0"), 1);
    assert_string_equal(bkp_frame_get(&x->f, "b"), "2");
    assert_string_equal(x->f.body, "next");
    /* Trim in the middle of a frame does nothing harmful. */
    assert_int_equal(FEED(x, "SEND\nc:"), 0);
    bkp_parser_trim(x->p);
    assert_int_equal(FEED(x, "3\n\n\0"), 1);
    assert_string_equal(bkp_frame_get(&x->f, "c"), "3");
}

static void command_names(void **state)
{
    (void)state;
    assert_string_equal(bkp_cmd_name(BKP_CMD_SEND), "SEND");
    assert_string_equal(bkp_cmd_name(BKP_CMD_ERROR), "ERROR");
    assert_string_equal(bkp_cmd_name((bkp_cmd)999), "UNKNOWN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(parses_a_simple_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(content_length_body_may_hold_nuls, setup, teardown),
        cmocka_unit_test_setup_teardown(crlf_lines_and_heartbeats, setup, teardown),
        cmocka_unit_test_setup_teardown(first_of_repeated_headers_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(unescapes_values_but_not_on_connect, setup, teardown),
        cmocka_unit_test_setup_teardown(undefined_escape_is_kept_and_unescape_can_be_off, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(several_frames_in_one_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(split_at_every_byte, setup, teardown),
        cmocka_unit_test(encoder_does_not_escape_connect),
        cmocka_unit_test(raw_flag_turns_escaping_off),
        cmocka_unit_test_setup_teardown(long_header_values_round_trip, setup, teardown),
        cmocka_unit_test(rejects_malformed_frames),
        cmocka_unit_test(enforces_limits),
        cmocka_unit_test(endless_header_is_refused_early),
        cmocka_unit_test_setup_teardown(trim_releases_buffers_when_idle, setup, teardown),
        cmocka_unit_test(command_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
