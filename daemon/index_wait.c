/* index_wait.c: a read waits for the deferred index (see index_wait.h). */
#include <stdio.h>

#include "daemon/index_wait.h"
#include "daemon/server.h"
#include "daemon/writer.h"

static void index_wait_done(writer_job *job)
{
    conn_t *c = job->owner;
    c->pending_jobs--;
    c->index_state = job->rc ? CONN_INDEX_FAILED : CONN_INDEX_READY;
    c->index_rc = job->rc;
    snprintf(c->index_err, sizeof c->index_err, "%s", job->err);
    writer_job_free(job);
    conn_job_done(c);   /* handles the waiting read again (or frees c) */
}

int index_wait_before(rpc_call *call)
{
    conn_t *c = call->conn;
    int state = c->index_state;
    c->index_state = CONN_INDEX_NONE;
    if (state == CONN_INDEX_FAILED) {
        snprintf(call->err, sizeof call->err, "%s", c->index_err);
        return c->index_rc;
    }
    /* Once caught up, the read goes ahead even if newer writes have come
     * since: they were not acknowledged before it, and waiting for them
     * could go on for as long as writes keep coming. */
    if (state == CONN_INDEX_READY || store_index_lag(call->srv->store) == 0)
        return 0;
    writer_job *job = writer_job_new(WRITER_INDEX, 0);
    job->owner = c;
    job->msgid = call->msgid;
    job->done = index_wait_done;
    c->pending_jobs++;
    writer_submit(call->srv->writer, job);
    return RPC_WAIT;
}
