#include "CPKCS11.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

/*
 * CK_FUNCTION_LIST as laid out by PKCS#11 v2.40 section 5.17: the Cryptoki version, then one pointer per function
 * in the order the specification lists them. Only the entries this shim calls are given their real types; the
 * others are placeholders of the same size, named after the function that sits there.
 */
typedef void (*unused_fn)(void);

typedef struct ck_function_list {
    CK_VERSION version;
    CK_RV (*C_Initialize)(void *init_args);
    CK_RV (*C_Finalize)(void *reserved);
    unused_fn C_GetInfo;
    unused_fn C_GetFunctionList;
    CK_RV (*C_GetSlotList)(CK_BBOOL token_present, CK_SLOT_ID *slots, CK_ULONG *count);
    unused_fn C_GetSlotInfo;
    CK_RV (*C_GetTokenInfo)(CK_SLOT_ID slot, CK_TOKEN_INFO *info);
    unused_fn C_GetMechanismList;
    unused_fn C_GetMechanismInfo;
    unused_fn C_InitToken;
    unused_fn C_InitPIN;
    unused_fn C_SetPIN;
    CK_RV (*C_OpenSession)(CK_SLOT_ID slot, CK_FLAGS flags, void *application, CK_NOTIFY notify,
                           CK_SESSION_HANDLE *session);
    CK_RV (*C_CloseSession)(CK_SESSION_HANDLE session);
    unused_fn C_CloseAllSessions;
    unused_fn C_GetSessionInfo;
    unused_fn C_GetOperationState;
    unused_fn C_SetOperationState;
    CK_RV (*C_Login)(CK_SESSION_HANDLE session, CK_USER_TYPE user, const CK_UTF8CHAR *pin, CK_ULONG pin_len);
    unused_fn C_Logout;
    unused_fn C_CreateObject;
    unused_fn C_CopyObject;
    unused_fn C_DestroyObject;
    unused_fn C_GetObjectSize;
    CK_RV (*C_GetAttributeValue)(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE *attrs,
                                 CK_ULONG count);
    unused_fn C_SetAttributeValue;
    CK_RV (*C_FindObjectsInit)(CK_SESSION_HANDLE session, CK_ATTRIBUTE *attrs, CK_ULONG count);
    CK_RV (*C_FindObjects)(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE *objects, CK_ULONG max, CK_ULONG *count);
    CK_RV (*C_FindObjectsFinal)(CK_SESSION_HANDLE session);
    CK_RV (*C_EncryptInit)(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE key);
    CK_RV (*C_Encrypt)(CK_SESSION_HANDLE session, const CK_BYTE *data, CK_ULONG data_len, CK_BYTE *out,
                       CK_ULONG *out_len);
    unused_fn C_EncryptUpdate;
    unused_fn C_EncryptFinal;
    CK_RV (*C_DecryptInit)(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE key);
    CK_RV (*C_Decrypt)(CK_SESSION_HANDLE session, const CK_BYTE *data, CK_ULONG data_len, CK_BYTE *out,
                       CK_ULONG *out_len);
    unused_fn C_DecryptUpdate;
    unused_fn C_DecryptFinal;
    unused_fn C_DigestInit;
    unused_fn C_Digest;
    unused_fn C_DigestUpdate;
    unused_fn C_DigestKey;
    unused_fn C_DigestFinal;
    unused_fn C_SignInit;
    unused_fn C_Sign;
    unused_fn C_SignUpdate;
    unused_fn C_SignFinal;
    unused_fn C_SignRecoverInit;
    unused_fn C_SignRecover;
    unused_fn C_VerifyInit;
    unused_fn C_Verify;
    unused_fn C_VerifyUpdate;
    unused_fn C_VerifyFinal;
    unused_fn C_VerifyRecoverInit;
    unused_fn C_VerifyRecover;
    unused_fn C_DigestEncryptUpdate;
    unused_fn C_DecryptDigestUpdate;
    unused_fn C_SignEncryptUpdate;
    unused_fn C_DecryptVerifyUpdate;
    CK_RV (*C_GenerateKey)(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism, CK_ATTRIBUTE *attrs, CK_ULONG count,
                           CK_OBJECT_HANDLE *key);
    unused_fn C_GenerateKeyPair;
    unused_fn C_WrapKey;
    unused_fn C_UnwrapKey;
    unused_fn C_DeriveKey;
    unused_fn C_SeedRandom;
    CK_RV (*C_GenerateRandom)(CK_SESSION_HANDLE session, CK_BYTE *out, CK_ULONG len);
    unused_fn C_GetFunctionStatus;
    unused_fn C_CancelFunction;
    unused_fn C_WaitForSlotEvent;
} ck_function_list;

typedef CK_RV (*get_function_list_fn)(ck_function_list **list);

struct s3pk_module {
    void *handle;
    ck_function_list *fns;
};

#define ATTR(t, v) { (t), (void *)(v), sizeof(*(v)) }

static const CK_BBOOL ck_true = CK_TRUE;
static const CK_BBOOL ck_false = CK_FALSE;
static const CK_OBJECT_CLASS secret_key_class = CKO_SECRET_KEY;
static const CK_KEY_TYPE aes_key_type = CKK_AES;

CK_RV s3pk_load(const char *path, s3pk_module **out, char *err, size_t err_len) {
    *out = NULL;
    if (err_len > 0) err[0] = '\0';
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *why = dlerror();
        if (why != NULL && err_len > 0) {
            strncpy(err, why, err_len - 1);
            err[err_len - 1] = '\0';
        }
        return S3PK_RV_LOAD_FAILED;
    }
    get_function_list_fn get_list = (get_function_list_fn)dlsym(handle, "C_GetFunctionList");
    if (get_list == NULL) {
        dlclose(handle);
        return S3PK_RV_NOT_A_MODULE;
    }
    ck_function_list *fns = NULL;
    CK_RV rv = get_list(&fns);
    if (rv != CKR_OK || fns == NULL) {
        dlclose(handle);
        return rv != CKR_OK ? rv : S3PK_RV_NOT_A_MODULE;
    }
    s3pk_module *module = malloc(sizeof(*module));
    if (module == NULL) {
        dlclose(handle);
        return CKR_HOST_MEMORY;
    }
    module->handle = handle;
    module->fns = fns;
    *out = module;
    return CKR_OK;
}

CK_RV s3pk_initialize(s3pk_module *module) {
    CK_C_INITIALIZE_ARGS args;
    memset(&args, 0, sizeof(args));
    args.flags = CKF_OS_LOCKING_OK;
    return module->fns->C_Initialize(&args);
}

CK_RV s3pk_finalize(s3pk_module *module) { return module->fns->C_Finalize(NULL); }

CK_RV s3pk_find_slot(s3pk_module *module, const CK_UTF8CHAR *label, CK_ULONG label_len, CK_SLOT_ID *slot) {
    if (label_len > 32) return S3PK_RV_TOKEN_NOT_FOUND;
    CK_UTF8CHAR wanted[32];
    memset(wanted, ' ', sizeof(wanted));
    memcpy(wanted, label, label_len);

    CK_ULONG count = 0;
    CK_RV rv = module->fns->C_GetSlotList(CK_TRUE, NULL, &count);
    if (rv != CKR_OK) return rv;
    if (count == 0) return S3PK_RV_TOKEN_NOT_FOUND;
    CK_SLOT_ID *slots = calloc(count, sizeof(CK_SLOT_ID));
    if (slots == NULL) return CKR_HOST_MEMORY;
    rv = module->fns->C_GetSlotList(CK_TRUE, slots, &count);
    if (rv == CKR_OK) {
        rv = S3PK_RV_TOKEN_NOT_FOUND;
        for (CK_ULONG i = 0; i < count; i++) {
            CK_TOKEN_INFO info;
            memset(&info, 0, sizeof(info));
            if (module->fns->C_GetTokenInfo(slots[i], &info) != CKR_OK) continue;
            if ((info.flags & CKF_TOKEN_INITIALIZED) == 0) continue;
            if (memcmp(info.label, wanted, sizeof(wanted)) != 0) continue;
            *slot = slots[i];
            rv = CKR_OK;
            break;
        }
    }
    free(slots);
    return rv;
}

CK_RV s3pk_open_session(s3pk_module *module, CK_SLOT_ID slot, CK_SESSION_HANDLE *session) {
    return module->fns->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, session);
}

CK_RV s3pk_close_session(s3pk_module *module, CK_SESSION_HANDLE session) {
    return module->fns->C_CloseSession(session);
}

CK_RV s3pk_login_user(s3pk_module *module, CK_SESSION_HANDLE session, const CK_UTF8CHAR *pin, CK_ULONG pin_len) {
    return module->fns->C_Login(session, CKU_USER, pin, pin_len);
}

CK_RV s3pk_find_aes_key(s3pk_module *module, CK_SESSION_HANDLE session, const CK_UTF8CHAR *label, CK_ULONG label_len,
                        CK_OBJECT_HANDLE *key, CK_ULONG *found) {
    CK_ATTRIBUTE query[] = {
        ATTR(CKA_CLASS, &secret_key_class),
        ATTR(CKA_KEY_TYPE, &aes_key_type),
        { CKA_LABEL, (void *)label, label_len },
    };
    *found = 0;
    CK_RV rv = module->fns->C_FindObjectsInit(session, query, sizeof(query) / sizeof(query[0]));
    if (rv != CKR_OK) return rv;
    CK_OBJECT_HANDLE objects[2];
    CK_ULONG count = 0;
    rv = module->fns->C_FindObjects(session, objects, 2, &count);
    CK_RV final_rv = module->fns->C_FindObjectsFinal(session);
    if (rv != CKR_OK) return rv;
    if (final_rv != CKR_OK) return final_rv;
    *found = count;
    if (count > 0) *key = objects[0];
    return CKR_OK;
}

CK_RV s3pk_generate_aes_key(s3pk_module *module, CK_SESSION_HANDLE session, const CK_UTF8CHAR *label,
                            CK_ULONG label_len, CK_ULONG value_len, CK_OBJECT_HANDLE *key) {
    CK_MECHANISM mechanism = { CKM_AES_KEY_GEN, NULL, 0 };
    CK_ATTRIBUTE template[] = {
        ATTR(CKA_CLASS, &secret_key_class),
        ATTR(CKA_KEY_TYPE, &aes_key_type),
        { CKA_LABEL, (void *)label, label_len },
        ATTR(CKA_VALUE_LEN, &value_len),
        ATTR(CKA_TOKEN, &ck_true),
        ATTR(CKA_PRIVATE, &ck_true),
        ATTR(CKA_SENSITIVE, &ck_true),
        ATTR(CKA_EXTRACTABLE, &ck_false),
        ATTR(CKA_ENCRYPT, &ck_true),
        ATTR(CKA_DECRYPT, &ck_true),
    };
    return module->fns->C_GenerateKey(session, &mechanism, template, sizeof(template) / sizeof(template[0]), key);
}

/* The CKM_AES_GCM mechanism with a 128-bit tag. `params` must outlive the Init call. */
static CK_MECHANISM gcm_mechanism(CK_GCM_PARAMS *params, const CK_BYTE *iv, CK_ULONG iv_len, const CK_BYTE *aad,
                                  CK_ULONG aad_len) {
    params->pIv = (CK_BYTE *)iv;
    params->ulIvLen = iv_len;
    params->ulIvBits = iv_len * 8;
    params->pAAD = (CK_BYTE *)aad;
    params->ulAADLen = aad_len;
    params->ulTagBits = 128;
    CK_MECHANISM mechanism = { CKM_AES_GCM, params, sizeof(*params) };
    return mechanism;
}

CK_RV s3pk_gcm_encrypt(s3pk_module *module, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key,
                       const CK_BYTE *iv, CK_ULONG iv_len, const CK_BYTE *aad, CK_ULONG aad_len,
                       const CK_BYTE *in, CK_ULONG in_len, CK_BYTE *out, CK_ULONG *out_len) {
    CK_GCM_PARAMS params;
    CK_MECHANISM mechanism = gcm_mechanism(&params, iv, iv_len, aad, aad_len);
    CK_RV rv = module->fns->C_EncryptInit(session, &mechanism, key);
    if (rv != CKR_OK) return rv;
    return module->fns->C_Encrypt(session, in, in_len, out, out_len);
}

CK_RV s3pk_gcm_decrypt(s3pk_module *module, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key,
                       const CK_BYTE *iv, CK_ULONG iv_len, const CK_BYTE *aad, CK_ULONG aad_len,
                       const CK_BYTE *in, CK_ULONG in_len, CK_BYTE *out, CK_ULONG *out_len) {
    CK_GCM_PARAMS params;
    CK_MECHANISM mechanism = gcm_mechanism(&params, iv, iv_len, aad, aad_len);
    CK_RV rv = module->fns->C_DecryptInit(session, &mechanism, key);
    if (rv != CKR_OK) return rv;
    return module->fns->C_Decrypt(session, in, in_len, out, out_len);
}

CK_RV s3pk_get_attribute(s3pk_module *module, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object,
                         CK_ATTRIBUTE_TYPE type, void *value, CK_ULONG *value_len) {
    CK_ATTRIBUTE attribute = { type, value, value == NULL ? 0 : *value_len };
    CK_RV rv = module->fns->C_GetAttributeValue(session, object, &attribute, 1);
    *value_len = attribute.ulValueLen;
    return rv;
}

CK_RV s3pk_generate_random(s3pk_module *module, CK_SESSION_HANDLE session, CK_BYTE *out, CK_ULONG len) {
    return module->fns->C_GenerateRandom(session, out, len);
}
