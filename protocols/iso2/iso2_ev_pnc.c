/*
 * iso2_ev_pnc.c - owns the car's Plug & Charge credentials check and its signature: the
 * contract the caller lends (chain DER, eMAID, a key handle of the crypto port) is checked
 * for what the messages can carry, and the first AuthorizationReq after PaymentDetails is
 * signed with iso2_sig_sign() over its Id. Reached only through the hook that
 * iso2_ev_contract_init() sets, so a car without a contract does not link the signature
 * code. No I/O, no heap: the key stays in the port.
 */
#include "iso2/iso2_ev_priv.h"

#include <string.h>

#include "iso2/iso2_sig.h"

static int s_sign(const struct iso2_ev_contract *c, struct exi_iso2_document *d, const char **why)
{
    static const char *const ids[] = {"ID1"}; /* iso2_ev_build() gives the request this Id */
    enum iso2_sig_error err = ISO2_SIG_OK;
    int rc = iso2_sig_sign(c->crypto, c->key, &d->V2G_Message.Header, &d->V2G_Message.Body, ids, 1, c->buf,
                           c->cap, &err);
    if (rc != HAL_OK) {
        *why = rc == HAL_ENOTSUP ? "the crypto port cannot sign with the contract key"
               : err != ISO2_SIG_OK ? iso2_sig_error_str(err)
                                    : "signing AuthorizationReq failed (contract key)";
    }
    return rc;
}

int iso2_ev_contract_init(struct iso2_ev_contract *c, struct hal_crypto *crypto, uint32_t key, const uint8_t *leaf,
                          size_t leaf_len, const uint8_t *const subs[], const size_t sub_len[], uint8_t n_subs,
                          const char *emaid, uint8_t *buf, size_t cap)
{
    if (c == NULL || crypto == NULL || leaf == NULL || leaf_len == 0 ||
        leaf_len > CFG_EXI_ISO2_CERTIFICATECHAINTYPE_CERTIFICATE_LEN || emaid == NULL || emaid[0] == '\0' ||
        strlen(emaid) > CFG_EXI_ISO2_PAYMENTDETAILSREQTYPE_EMAID_LEN || buf == NULL || cap < 256u ||
        n_subs > CFG_EXI_ISO2_SUBCERTIFICATESTYPE_CERTIFICATE_MAX || (n_subs > 0 && (subs == NULL || sub_len == NULL))) {
        return HAL_EINVAL;
    }
    for (uint8_t i = 0; i < n_subs; i++) {
        if (subs[i] == NULL || sub_len[i] == 0 || sub_len[i] > CFG_EXI_ISO2_SUBCERTIFICATESTYPE_CERTIFICATE_LEN) {
            return HAL_EINVAL;
        }
    }
    memset(c, 0, sizeof *c);
    c->crypto = crypto;
    c->key = key;
    c->leaf = leaf;
    c->leaf_len = leaf_len;
    for (uint8_t i = 0; i < n_subs; i++) {
        c->subs[i] = subs[i];
        c->sub_len[i] = sub_len[i];
    }
    c->n_subs = n_subs;
    memcpy(c->emaid, emaid, strlen(emaid) + 1u);
    c->buf = buf;
    c->cap = cap;
    c->sign = s_sign;
    return HAL_OK;
}
