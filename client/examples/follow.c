/* follow.c: a short tour of libannals. It connects to annalsd, subscribes
 * to the meetings, stores one meeting, lists the meetings of its year with
 * a range query, and waits for the change its own put made to come through
 * the feed.
 *
 *   cc follow.c $(pkg-config --cflags --libs annals) -o follow
 *   ./follow /path/to/annalsd.sock      (or: ./follow HOST PORT)
 *
 * Exit status: 0, or 1 with a message on stderr. */
#include <stdio.h>
#include <string.h>

#include <annals.h>

/* Pack the string s with pk. */
static void pack_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

/* Print the string o, or "-". */
static void print_str(const msgpack_object *o)
{
    if (o && o->type == MSGPACK_OBJECT_STR)
        printf("%.*s", (int)o->via.str.size, o->via.str.ptr);
    else
        printf("-");
}

/* The subscription's callback: print the change and stop annals_follow
 * once the one our put made has come (its id is in userdata). */
static int on_change(annals_conn *conn, const annals_note *note, void *userdata)
{
    const char *want = userdata;
    (void)conn;
    if (note->kind != ANNALS_NOTE_CHANGE) {
        printf("feed: %s at seq %llu\n", note->kind == ANNALS_NOTE_HEARTBEAT ? "heartbeat"
               : note->kind == ANNALS_NOTE_OVERFLOW ? "overflow" : "gone",
               (unsigned long long)note->seq);
        return note->kind == ANNALS_NOTE_HEARTBEAT ? 0 : 1;
    }
    printf("change: seq %llu %s %.*s\n", (unsigned long long)note->seq,
           note->is_delete ? "delete" : "put", (int)note->id_len, note->id);
    return strlen(want) == note->id_len && memcmp(want, note->id, note->id_len) == 0;
}

static int fail(annals_conn *conn, const char *what, int rc)
{
    fprintf(stderr, "follow: %s: %s (%s)\n", what, annals_errmsg(conn), annals_strerror(rc));
    annals_free(conn);
    return 1;
}

int main(int argc, char **argv)
{
    annals_conn *conn;
    char id[ANNALS_ID_SIZE];
    uint64_t seq;
    int rc;

    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: follow SOCKET | follow HOST PORT\n");
        return 1;
    }
    annals_new(&conn);
    annals_set_timeout(conn, 5000);
    rc = argc == 2 ? annals_connect_unix(conn, argv[1])
                   : annals_connect_tcp(conn, argv[1], argv[2]);
    if (rc != ANNALS_OK)
        return fail(conn, "connect", rc);

    /* Subscribe first: the change our put makes is then sure to come. */
    const char *meeting[] = { "meeting" };
    annals_filter meetings = { 0 };
    meetings.kind.v = meeting;
    meetings.kind.n = 1;
    if ((rc = annals_subscribe(conn, &meetings, NULL, on_change, id, NULL, NULL)) != ANNALS_OK)
        return fail(conn, "subscribe", rc);

    /* An event is a packed map. */
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    pack_str(&pk, "title");
    pack_str(&pk, "Ministers meet in Rabat");
    pack_str(&pk, "start");
    pack_str(&pk, "2024-05-13");
    pack_str(&pk, "kind");
    pack_str(&pk, "meeting");
    pack_str(&pk, "countries");
    msgpack_pack_array(&pk, 1);
    pack_str(&pk, "MA");
    rc = annals_put(conn, sb.data, sb.size, id, &seq);
    msgpack_sbuffer_destroy(&sb);
    if (rc != ANNALS_OK)
        return fail(conn, "put", rc);
    printf("put: %s at seq %llu\n", id, (unsigned long long)seq);

    /* The meetings of 2024, page by page. */
    annals_query q = { 0 };
    q.filter = meetings;
    q.filter.from = "2024";
    q.filter.to = "2024";
    char cursor[256] = "";
    do {
        annals_page page;
        q.cursor = cursor[0] ? cursor : NULL;
        if ((rc = annals_range(conn, &q, &page)) != ANNALS_OK)
            return fail(conn, "range", rc);
        for (size_t i = 0; i < page.n; i++) {
            printf("range: ");
            print_str(annals_map_get(&page.events[i], "start"));
            printf("  ");
            print_str(annals_map_get(&page.events[i], "title"));
            printf("  ");
            print_str(annals_map_get(&page.events[i], "id"));
            printf("\n");
        }
        snprintf(cursor, sizeof cursor, "%s", page.next ? page.next : "");
        annals_reply_free(&page.reply);
    } while (cursor[0]);

    /* Wait (at most 10 s) for our own change to come through the feed. */
    rc = annals_follow(conn, 10000);
    if (rc < 0)
        return fail(conn, "follow", rc);
    if (rc == 0) {
        fprintf(stderr, "follow: the change of %s did not come within 10 s\n", id);
        annals_free(conn);
        return 1;
    }
    annals_free(conn);
    return 0;
}
