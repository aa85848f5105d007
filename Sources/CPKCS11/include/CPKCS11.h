/*
 * CPKCS11: a thin shim over a PKCS#11 (Cryptoki v2.40) module for the PKCS#11 key provider.
 *
 * The declarations below are the handful of PKCS#11 types, constants and the function-list layout this shim uses,
 * written from the OASIS PKCS#11 v2.40 base specification (not copied from any vendor header). Structures use the
 * platform's natural packing, as Cryptoki requires on Unix.
 *
 * The s3pk_* functions load a module with dlopen, fetch its function list with C_GetFunctionList, and wrap the few
 * calls the provider makes. Every one returns the module's CK_RV (or one of the S3PK_RV_* codes below) untouched,
 * so the Swift side decides what an error means.
 */
#ifndef CPKCS11_H
#define CPKCS11_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Base types (PKCS#11 v2.40 section 3) ---- */

typedef unsigned char CK_BYTE;
typedef unsigned char CK_UTF8CHAR;
typedef unsigned char CK_BBOOL;
typedef unsigned long CK_ULONG;
typedef CK_ULONG CK_FLAGS;
typedef CK_ULONG CK_RV;
typedef CK_ULONG CK_SLOT_ID;
typedef CK_ULONG CK_SESSION_HANDLE;
typedef CK_ULONG CK_OBJECT_HANDLE;
typedef CK_ULONG CK_OBJECT_CLASS;
typedef CK_ULONG CK_KEY_TYPE;
typedef CK_ULONG CK_ATTRIBUTE_TYPE;
typedef CK_ULONG CK_MECHANISM_TYPE;
typedef CK_ULONG CK_USER_TYPE;

typedef struct CK_VERSION {
    CK_BYTE major;
    CK_BYTE minor;
} CK_VERSION;

typedef struct CK_ATTRIBUTE {
    CK_ATTRIBUTE_TYPE type;
    void *pValue;
    CK_ULONG ulValueLen;
} CK_ATTRIBUTE;

typedef struct CK_MECHANISM {
    CK_MECHANISM_TYPE mechanism;
    void *pParameter;
    CK_ULONG ulParameterLen;
} CK_MECHANISM;

/* The v2.40 layout (with ulIvBits). */
typedef struct CK_GCM_PARAMS {
    CK_BYTE *pIv;
    CK_ULONG ulIvLen;
    CK_ULONG ulIvBits;
    CK_BYTE *pAAD;
    CK_ULONG ulAADLen;
    CK_ULONG ulTagBits;
} CK_GCM_PARAMS;

typedef struct CK_TOKEN_INFO {
    CK_UTF8CHAR label[32];
    CK_UTF8CHAR manufacturerID[32];
    CK_UTF8CHAR model[16];
    CK_BYTE serialNumber[16];
    CK_FLAGS flags;
    CK_ULONG ulMaxSessionCount;
    CK_ULONG ulSessionCount;
    CK_ULONG ulMaxRwSessionCount;
    CK_ULONG ulRwSessionCount;
    CK_ULONG ulMaxPinLen;
    CK_ULONG ulMinPinLen;
    CK_ULONG ulTotalPublicMemory;
    CK_ULONG ulFreePublicMemory;
    CK_ULONG ulTotalPrivateMemory;
    CK_ULONG ulFreePrivateMemory;
    CK_VERSION hardwareVersion;
    CK_VERSION firmwareVersion;
    CK_BYTE utcTime[16];
} CK_TOKEN_INFO;

typedef CK_RV (*CK_NOTIFY)(CK_SESSION_HANDLE session, CK_ULONG event, void *application);

typedef struct CK_C_INITIALIZE_ARGS {
    CK_RV (*CreateMutex)(void **mutex);
    CK_RV (*DestroyMutex)(void *mutex);
    CK_RV (*LockMutex)(void *mutex);
    CK_RV (*UnlockMutex)(void *mutex);
    CK_FLAGS flags;
    void *pReserved;
} CK_C_INITIALIZE_ARGS;

/* ---- Constants ---- */

#define CK_FALSE 0
#define CK_TRUE 1

/* Return values. */
#define CKR_OK                            0x000UL
#define CKR_HOST_MEMORY                   0x002UL
#define CKR_SLOT_ID_INVALID               0x003UL
#define CKR_GENERAL_ERROR                 0x005UL
#define CKR_FUNCTION_FAILED               0x006UL
#define CKR_ARGUMENTS_BAD                 0x007UL
#define CKR_ATTRIBUTE_SENSITIVE           0x011UL
#define CKR_ATTRIBUTE_TYPE_INVALID        0x012UL
#define CKR_DATA_LEN_RANGE                0x021UL
#define CKR_DEVICE_ERROR                  0x030UL
#define CKR_DEVICE_MEMORY                 0x031UL
#define CKR_DEVICE_REMOVED                0x032UL
#define CKR_ENCRYPTED_DATA_INVALID        0x040UL
#define CKR_ENCRYPTED_DATA_LEN_RANGE      0x041UL
#define CKR_KEY_HANDLE_INVALID            0x060UL
#define CKR_MECHANISM_INVALID             0x070UL
#define CKR_MECHANISM_PARAM_INVALID       0x071UL
#define CKR_OBJECT_HANDLE_INVALID         0x082UL
#define CKR_OPERATION_ACTIVE              0x090UL
#define CKR_PIN_INCORRECT                 0x0A0UL
#define CKR_PIN_LOCKED                    0x0A4UL
#define CKR_SESSION_CLOSED                0x0B0UL
#define CKR_SESSION_HANDLE_INVALID        0x0B3UL
#define CKR_TEMPLATE_INCOMPLETE           0x0D0UL
#define CKR_TEMPLATE_INCONSISTENT         0x0D1UL
#define CKR_TOKEN_NOT_PRESENT             0x0E0UL
#define CKR_TOKEN_NOT_RECOGNIZED          0x0E1UL
#define CKR_USER_ALREADY_LOGGED_IN        0x100UL
#define CKR_USER_NOT_LOGGED_IN            0x101UL
#define CKR_USER_PIN_NOT_INITIALIZED      0x102UL
#define CKR_BUFFER_TOO_SMALL              0x150UL
#define CKR_CRYPTOKI_NOT_INITIALIZED      0x190UL
#define CKR_CRYPTOKI_ALREADY_INITIALIZED  0x191UL
#define CKR_VENDOR_DEFINED                0x80000000UL

/* Codes of this shim, in the vendor-defined range. */
#define S3PK_RV_LOAD_FAILED      (CKR_VENDOR_DEFINED | 0x53330001UL) /* dlopen failed */
#define S3PK_RV_NOT_A_MODULE     (CKR_VENDOR_DEFINED | 0x53330002UL) /* no C_GetFunctionList symbol */
#define S3PK_RV_TOKEN_NOT_FOUND  (CKR_VENDOR_DEFINED | 0x53330003UL) /* no initialised token with that label */

/* Flags. */
#define CKF_OS_LOCKING_OK        0x002UL /* CK_C_INITIALIZE_ARGS.flags */
#define CKF_RW_SESSION           0x002UL /* C_OpenSession */
#define CKF_SERIAL_SESSION       0x004UL /* C_OpenSession */
#define CKF_TOKEN_INITIALIZED    0x400UL /* CK_TOKEN_INFO.flags */

/* User types. */
#define CKU_USER 1UL

/* Object classes, key types. */
#define CKO_SECRET_KEY 0x004UL
#define CKK_AES        0x01FUL

/* Attributes. */
#define CKA_CLASS             0x000UL
#define CKA_TOKEN             0x001UL
#define CKA_PRIVATE           0x002UL
#define CKA_LABEL             0x003UL
#define CKA_VALUE             0x011UL
#define CKA_KEY_TYPE          0x100UL
#define CKA_SENSITIVE         0x103UL
#define CKA_ENCRYPT           0x104UL
#define CKA_DECRYPT           0x105UL
#define CKA_VALUE_LEN         0x161UL
#define CKA_EXTRACTABLE       0x162UL
#define CKA_NEVER_EXTRACTABLE 0x164UL
#define CKA_ALWAYS_SENSITIVE  0x165UL

/* Mechanisms. */
#define CKM_AES_KEY_GEN 0x1080UL
#define CKM_AES_GCM     0x1087UL

/* Value of CK_ATTRIBUTE.ulValueLen when an attribute cannot be revealed or does not exist. */
#define CK_UNAVAILABLE_INFORMATION (~0UL)

/* ---- The shim ---- */

/* A loaded module: the dlopen handle and its function list. There is no unload: a module stays loaded for the life
 * of the process (unloading a Cryptoki module and its crypto back end is a known source of crashes), and the caller
 * keeps one per library path, re-initialising it after C_Finalize when needed. */
typedef struct s3pk_module s3pk_module;

/* dlopen()s the library at `path` (RTLD_NOW | RTLD_LOCAL) and calls its C_GetFunctionList. On failure returns
 * S3PK_RV_LOAD_FAILED (with dlerror() copied into `err`), S3PK_RV_NOT_A_MODULE, or the CK_RV of C_GetFunctionList. */
CK_RV s3pk_load(const char *path, s3pk_module **out, char *err, size_t err_len);

/* C_Initialize with CKF_OS_LOCKING_OK (the module uses the OS's own locking). */
CK_RV s3pk_initialize(s3pk_module *module);

/* C_Finalize. */
CK_RV s3pk_finalize(s3pk_module *module);

/* The first slot whose token is initialised and whose 32-byte, space-padded CKA label equals `label` (`label_len`
 * bytes, at most 32). S3PK_RV_TOKEN_NOT_FOUND when none matches. */
CK_RV s3pk_find_slot(s3pk_module *module, const CK_UTF8CHAR *label, CK_ULONG label_len, CK_SLOT_ID *slot);

/* C_OpenSession with CKF_SERIAL_SESSION | CKF_RW_SESSION. */
CK_RV s3pk_open_session(s3pk_module *module, CK_SLOT_ID slot, CK_SESSION_HANDLE *session);

/* C_CloseSession. */
CK_RV s3pk_close_session(s3pk_module *module, CK_SESSION_HANDLE session);

/* C_Login as CKU_USER. */
CK_RV s3pk_login_user(s3pk_module *module, CK_SESSION_HANDLE session, const CK_UTF8CHAR *pin, CK_ULONG pin_len);

/* Searches for CKO_SECRET_KEY / CKK_AES objects with CKA_LABEL == `label`. `*found` receives how many matched
 * (counting stops at 2); `*key` the first match. */
CK_RV s3pk_find_aes_key(s3pk_module *module, CK_SESSION_HANDLE session, const CK_UTF8CHAR *label, CK_ULONG label_len,
                        CK_OBJECT_HANDLE *key, CK_ULONG *found);

/* C_GenerateKey(CKM_AES_KEY_GEN) of a `value_len`-byte token key: private, sensitive, not extractable, for
 * encrypt/decrypt only. */
CK_RV s3pk_generate_aes_key(s3pk_module *module, CK_SESSION_HANDLE session, const CK_UTF8CHAR *label,
                            CK_ULONG label_len, CK_ULONG value_len, CK_OBJECT_HANDLE *key);

/* Single-part CKM_AES_GCM encryption with a 128-bit tag. `out` receives ciphertext ‖ tag; `*out_len` holds its
 * capacity on entry (at least in_len + 16) and the length written on return. */
CK_RV s3pk_gcm_encrypt(s3pk_module *module, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key,
                       const CK_BYTE *iv, CK_ULONG iv_len, const CK_BYTE *aad, CK_ULONG aad_len,
                       const CK_BYTE *in, CK_ULONG in_len, CK_BYTE *out, CK_ULONG *out_len);

/* Single-part CKM_AES_GCM decryption of ciphertext ‖ tag(16). `*out_len` holds the capacity of `out` on entry
 * (at least in_len) and the plaintext length on return. A bad tag is whatever error the module gives. */
CK_RV s3pk_gcm_decrypt(s3pk_module *module, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key,
                       const CK_BYTE *iv, CK_ULONG iv_len, const CK_BYTE *aad, CK_ULONG aad_len,
                       const CK_BYTE *in, CK_ULONG in_len, CK_BYTE *out, CK_ULONG *out_len);

/* C_GetAttributeValue of one attribute. With `value` NULL, `*value_len` receives the length; otherwise it holds the
 * capacity on entry. `*value_len` is CK_UNAVAILABLE_INFORMATION when the token refuses (the CK_RV says why). */
CK_RV s3pk_get_attribute(s3pk_module *module, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object,
                         CK_ATTRIBUTE_TYPE type, void *value, CK_ULONG *value_len);

/* C_GenerateRandom. */
CK_RV s3pk_generate_random(s3pk_module *module, CK_SESSION_HANDLE session, CK_BYTE *out, CK_ULONG len);

#ifdef __cplusplus
}
#endif

#endif /* CPKCS11_H */
