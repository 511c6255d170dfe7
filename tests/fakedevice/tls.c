/* tls.c - the device side of lockdownd's session TLS. Each fake device owns an RSA key (its
 * DevicePublicKey, handed to the host as PEM PKCS#1 when it pairs) and a self-signed certificate
 * for that key. libimobiledevice does not verify the device certificate, so self-signed is what a
 * real phone looks like to it. Non-blocking OpenSSL server side on the lockdownd socket. */
#include "fakeiphone.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

int tls_init(struct fk *fk)
{
	fk->ssl_ctx = SSL_CTX_new(TLS_server_method());
	if (!fk->ssl_ctx)
		return -1;
	/* devices older than iOS 10 talk TLS 1.0 with libimobiledevice: allow it */
	SSL_CTX_set_security_level(fk->ssl_ctx, 0);
	SSL_CTX_set_min_proto_version(fk->ssl_ctx, TLS1_VERSION);
	SSL_CTX_set_cipher_list(fk->ssl_ctx, "DEFAULT:@SECLEVEL=0");
	SSL_CTX_set_mode(fk->ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	return 0;
}

void tls_free(struct fk *fk)
{
	SSL_CTX_free(fk->ssl_ctx);
	fk->ssl_ctx = NULL;
}

static X509 *self_signed(EVP_PKEY *key, const char *cn)
{
	X509 *x = X509_new();
	if (!x)
		return NULL;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -86400);
	X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 86400);
	X509_set_pubkey(x, key);
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, n);
	if (X509_sign(x, key, EVP_sha256()) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* "-----BEGIN RSA PUBLIC KEY-----": what lockdownd answers for GetValue DevicePublicKey */
static int public_pem_pkcs1(EVP_PKEY *key, char **out, size_t *outlen)
{
	OSSL_ENCODER_CTX *ctx = OSSL_ENCODER_CTX_new_for_pkey(key, OSSL_KEYMGMT_SELECT_PUBLIC_KEY,
							     "PEM", "type-specific", NULL);
	unsigned char *data = NULL;
	size_t len = 0;
	int ok = ctx && OSSL_ENCODER_to_data(ctx, &data, &len) == 1;
	OSSL_ENCODER_CTX_free(ctx);
	if (!ok)
		return -1;
	*out = (char *)data;
	*outlen = len;
	return 0;
}

/* made on first use (pairing or a TLS session): key generation is the slow part of startup,
 * painfully so under valgrind. 1024 bits, like the devices libimobiledevice was written for. */
int tls_device_keys(struct device *d)
{
	if (d->key)
		return d->cert && d->pubpem ? 0 : -1;
	d->key = EVP_RSA_gen(1024);
	if (!d->key)
		return -1;
	d->cert = self_signed(d->key, "fakeiphone device");
	if (!d->cert || public_pem_pkcs1(d->key, &d->pubpem, &d->pubpemlen) < 0)
		return -1;
	return 0;
}

void tls_device_free(struct device *d)
{
	EVP_PKEY_free(d->key);
	X509_free(d->cert);
	OPENSSL_free(d->pubpem);
	d->key = NULL;
	d->cert = NULL;
	d->pubpem = NULL;
}

int tls_start(struct fk *fk, struct conn *c)
{
	if (tls_device_keys(c->dev) < 0)
		return -1;
	c->ssl = SSL_new(fk->ssl_ctx);
	if (!c->ssl || SSL_use_certificate(c->ssl, c->dev->cert) != 1 ||
	    SSL_use_PrivateKey(c->ssl, c->dev->key) != 1 || SSL_set_fd(c->ssl, c->fd) != 1)
		return -1;
	SSL_set_accept_state(c->ssl);
	c->tls = TLS_HANDSHAKE;
	vlog(fk, "%s: lockdownd session TLS handshake", c->dev->udid);
	return tls_handshake(fk, c);
}

/* returns 0 while in progress or done, -1 on failure */
int tls_handshake(struct fk *fk, struct conn *c)
{
	ERR_clear_error();
	int r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		c->tls = TLS_UP;
		c->tls_want_write = 0;
		vlog(fk, "%s: TLS up (%s, %s)", c->dev->udid, SSL_get_version(c->ssl), SSL_get_cipher(c->ssl));
		return 0;
	}
	int e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		c->tls_want_write = e == SSL_ERROR_WANT_WRITE;
		return 0;
	}
	vlog(fk, "%s: TLS handshake error %d (%s)", c->dev->udid, e,
	     ERR_reason_error_string(ERR_peek_last_error()) ? ERR_reason_error_string(ERR_peek_last_error()) : "?");
	return -1;
}

/* > 0 bytes; 0 = the host ended TLS (we answered close_notify, the socket is plain again);
 * -1 with errno (EAGAIN when nothing to read yet) */
long tls_read(struct fk *fk, struct conn *c, char *p, size_t n)
{
	ERR_clear_error();
	int r = SSL_read(c->ssl, p, (int)n);
	if (r > 0)
		return r;
	int e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		c->tls_want_write = e == SSL_ERROR_WANT_WRITE;
		errno = EAGAIN;
		return -1;
	}
	if (e == SSL_ERROR_ZERO_RETURN) {
		vlog(fk, "%s: host ended TLS", c->dev ? c->dev->udid : "-");
		tls_stop(c);
		return 0;
	}
	errno = e == SSL_ERROR_SYSCALL && errno ? errno : ECONNRESET;
	return -1;
}

long tls_write(struct fk *fk, struct conn *c, const char *p, size_t n)
{
	(void)fk;
	ERR_clear_error();
	int r = SSL_write(c->ssl, p, (int)n);
	if (r > 0)
		return r;
	int e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		c->tls_want_write = e == SSL_ERROR_WANT_WRITE;
		errno = EAGAIN;
		return -1;
	}
	errno = e == SSL_ERROR_SYSCALL && errno ? errno : EPIPE;
	return -1;
}

void tls_stop(struct conn *c)
{
	if (!c->ssl)
		return;
	if (c->tls == TLS_UP)
		SSL_shutdown(c->ssl);	/* our close_notify; the socket is non-blocking, never waits */
	SSL_free(c->ssl);
	c->ssl = NULL;
	c->tls = TLS_OFF;
}
