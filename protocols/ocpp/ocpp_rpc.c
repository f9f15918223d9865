/*
 * OCPP-J RPC framing: owns the classification of incoming frames (what must be answered,
 * what is dropped, and why), the error-code spellings of both errata, the writers of our
 * three frame types and the bookkeeping of the single outstanding CALL.
 */
#include "ocpp/ocpp_rpc.h"

#include <string.h>

static const struct {
    enum ocpp_error e;
    const char *name;
} k_errors[] = {
    /* first entry per code = the spelling we send (OCPP-J 1.6 §4.2.3, typos kept) */
    {OCPP_ERR_NOT_IMPLEMENTED, "NotImplemented"},
    {OCPP_ERR_NOT_SUPPORTED, "NotSupported"},
    {OCPP_ERR_INTERNAL, "InternalError"},
    {OCPP_ERR_PROTOCOL, "ProtocolError"},
    {OCPP_ERR_SECURITY, "SecurityError"},
    {OCPP_ERR_FORMATION, "FormationViolation"},
    {OCPP_ERR_PROPERTY, "PropertyConstraintViolation"},
    {OCPP_ERR_OCCURENCE, "OccurenceConstraintViolation"},
    {OCPP_ERR_TYPE, "TypeConstraintViolation"},
    {OCPP_ERR_GENERIC, "GenericError"},
    /* accepted on input only: the corrected spellings and 2.0.1 / ocpp-rpc additions */
    {OCPP_ERR_FORMATION, "FormatViolation"},
    {OCPP_ERR_OCCURENCE, "OccurrenceConstraintViolation"},
    {OCPP_ERR_RPC_FRAMEWORK, "RpcFrameworkError"},
    {OCPP_ERR_MSGTYPE_NOT_SUPPORTED, "MessageTypeNotSupported"},
};

const char *ocpp_error_name(enum ocpp_error e)
{
    for (size_t i = 0; i < sizeof k_errors / sizeof k_errors[0]; i++) {
        if (k_errors[i].e == e && e < OCPP_ERR_RPC_FRAMEWORK) {
            return k_errors[i].name;
        }
    }
    return "GenericError";
}

enum ocpp_error ocpp_error_parse(const char *s)
{
    for (size_t i = 0; i < sizeof k_errors / sizeof k_errors[0]; i++) {
        if (strcmp(k_errors[i].name, s) == 0) {
            return k_errors[i].e;
        }
    }
    return OCPP_ERR_GENERIC;
}

static int refuse(struct ocpp_msg *m, enum ocpp_error reply, const char *why)
{
    m->reply_error = reply;
    m->why = why;
    return HAL_EPROTO;
}

int ocpp_rpc_parse(struct ocpp_json *j, const char *text, size_t len, struct ocpp_msg *m)
{
    memset(m, 0, sizeof *m);
    m->payload = m->description = m->details = -1;
    int rc = ocpp_json_parse(j, text, len);
    if (rc != HAL_OK) {
        /* nothing in a broken text can be trusted, not even an ID that looks readable */
        return refuse(m, OCPP_ERR_NONE, j->err != NULL ? j->err : "unparsable JSON");
    }
    if (ocpp_json_type(j, 0) != OCPP_J_ARR) {
        return refuse(m, OCPP_ERR_NONE, "frame is not a JSON array");
    }
    unsigned n = ocpp_json_size(j, 0);
    int64_t type;
    if (n < 3 || ocpp_json_int(j, ocpp_json_at(j, 0, 0), &type) != HAL_OK) {
        return refuse(m, OCPP_ERR_NONE, "frame has no message type number");
    }
    int tid = ocpp_json_at(j, 0, 1);
    bool id_ok = ocpp_json_type(j, tid) == OCPP_J_STR &&
                 ocpp_json_str(j, tid, m->id, sizeof m->id) > 0;
    if (type != OCPP_CALL && type != OCPP_CALLRESULT && type != OCPP_CALLERROR) {
        m->why = "unknown message type number";
        return HAL_ENOTSUP;
    }
    m->type = (enum ocpp_msgtype)type;
    if (!id_ok) {
        m->id[0] = '\0';
        return refuse(m, OCPP_ERR_NONE, "message ID missing, empty or longer than 36");
    }
    /* from here a CALL has an ID we can answer */
    enum ocpp_error bad = m->type == OCPP_CALL ? OCPP_ERR_FORMATION : OCPP_ERR_NONE;
    switch (m->type) {
    case OCPP_CALL: {
        int ta = ocpp_json_at(j, 0, 2), tp = ocpp_json_at(j, 0, 3);
        if (n != 4) {
            return refuse(m, bad, "CALL must have 4 elements");
        }
        if (ocpp_json_type(j, ta) != OCPP_J_STR ||
            ocpp_json_str(j, ta, m->action, sizeof m->action) <= 0) {
            return refuse(m, bad, "CALL action missing or too long");
        }
        if (ocpp_json_type(j, tp) != OCPP_J_OBJ) {
            return refuse(m, bad, "CALL payload is not an object");
        }
        m->payload = tp;
        return HAL_OK;
    }
    case OCPP_CALLRESULT: {
        int tp = ocpp_json_at(j, 0, 2);
        if (n != 3 || ocpp_json_type(j, tp) != OCPP_J_OBJ) {
            return refuse(m, OCPP_ERR_NONE, "CALLRESULT must be [3,id,{payload}]");
        }
        m->payload = tp;
        return HAL_OK;
    }
    case OCPP_CALLERROR: {
        int tc = ocpp_json_at(j, 0, 2), td = ocpp_json_at(j, 0, 3), tx = ocpp_json_at(j, 0, 4);
        if (n != 5 || ocpp_json_type(j, tc) != OCPP_J_STR || ocpp_json_type(j, td) != OCPP_J_STR ||
            ocpp_json_type(j, tx) != OCPP_J_OBJ) {
            return refuse(m, OCPP_ERR_NONE, "CALLERROR must be [4,id,code,description,{details}]");
        }
        if (ocpp_json_str(j, tc, m->error_text, sizeof m->error_text) < 0) {
            strcpy(m->error_text, "?");
        }
        m->error = ocpp_error_parse(m->error_text);
        m->description = td;
        m->details = tx;
        return HAL_OK;
    }
    }
    return refuse(m, OCPP_ERR_NONE, "unknown message type number");
}

void ocpp_rpc_init(struct ocpp_rpc *r, uint32_t id_seed)
{
    memset(r, 0, sizeof *r);
    r->next_id = id_seed;
    r->timeout_ms = CFG_OCPP_CALL_TIMEOUT_MS;
}

static size_t fmt_hex32(char *out, uint32_t v)
{
    static const char hx[] = "0123456789abcdef";
    for (int k = 0; k < 8; k++) {
        out[k] = hx[(v >> (28 - 4 * k)) & 15u];
    }
    out[8] = '\0';
    return 8;
}

int ocpp_rpc_call(struct ocpp_rpc *r, struct ocpp_jw *w, const char *action, uint32_t now_ms)
{
    if (r->busy) {
        return HAL_EBUSY;
    }
    if (strlen(action) > OCPP_ACTION_MAX) {
        return HAL_EINVAL;
    }
    fmt_hex32(r->out_id, r->next_id++);
    strcpy(r->out_action, action);
    ocpp_jw_arr(w);
    ocpp_jw_int(w, OCPP_CALL);
    ocpp_jw_str(w, r->out_id);
    ocpp_jw_str(w, action);
    r->busy = true;
    r->sent_ms = now_ms;
    return HAL_OK;
}

void ocpp_rpc_result(struct ocpp_jw *w, const char *id)
{
    ocpp_jw_arr(w);
    ocpp_jw_int(w, OCPP_CALLRESULT);
    ocpp_jw_str(w, id);
}

void ocpp_rpc_error(struct ocpp_jw *w, const char *id, enum ocpp_error e, const char *why)
{
    ocpp_jw_arr(w);
    ocpp_jw_int(w, OCPP_CALLERROR);
    ocpp_jw_str(w, id);
    ocpp_jw_str(w, ocpp_error_name(e));
    ocpp_jw_str(w, why != NULL ? why : "");
    ocpp_jw_obj(w);
    ocpp_jw_obj_end(w);
    ocpp_jw_arr_end(w);
}

void ocpp_rpc_end(struct ocpp_jw *w)
{
    ocpp_jw_arr_end(w);
}

int ocpp_rpc_match(struct ocpp_rpc *r, const struct ocpp_msg *m)
{
    if (!r->busy || m->type == OCPP_CALL || strcmp(m->id, r->out_id) != 0) {
        return HAL_ENOENT;
    }
    r->busy = false;
    return HAL_OK;
}

bool ocpp_rpc_timed_out(struct ocpp_rpc *r, uint32_t now_ms)
{
    if (r->busy && (uint32_t)(now_ms - r->sent_ms) >= r->timeout_ms) {
        r->busy = false;
        return true;
    }
    return false;
}

void ocpp_rpc_reset(struct ocpp_rpc *r)
{
    r->busy = false;
}
