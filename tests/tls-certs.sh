#!/bin/sh
# Certificates for the TLS tests, made at run time by the openssl command (nothing secret is
# committed, nothing expires in the tree). Usage: tls-certs.sh DIR. Writes PEM files:
#   ca.pem                 the CA the tests trust (ca.key signs the others)
#   server.pem/.key        for 127.0.0.1 and localhost
#   expired.pem/.key       the same names, valid only in 2020
#   wronghost.pem/.key     for wrong.example only
#   client.pem/.key        a client certificate
#   other-ca.pem           a CA that signed none of them
# Idempotent: a DIR that has them already is left as it is.
set -eu
dir=${1:?usage: tls-certs.sh DIR}
[ -f "$dir/other-ca.pem" ] && exit 0
mkdir -p "$dir/db"
cd "$dir"
: > db/index.txt
echo 1000 > db/serial
cat > ca.cnf <<'C'
[ca]
default_ca = test
[test]
dir = .
database = db/index.txt
serial = db/serial
new_certs_dir = db
default_md = sha256
policy = any
copy_extensions = none
unique_subject = no
[any]
commonName = supplied
[server]
basicConstraints = CA:false
extendedKeyUsage = serverAuth
subjectAltName = $ENV::SAN
[client]
basicConstraints = CA:false
extendedKeyUsage = clientAuth
C
q() { "$@" > /dev/null 2>&1 || { echo "tls-certs.sh: failed: $*" >&2; "$@" >&2; exit 1; }; }
q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 \
  -subj "/CN=Beekeeper test CA"
q openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem.tmp \
  -days 30 -subj "/CN=Another CA"
# name ext san [dates...]
sign() {
  name=$1 ext=$2 san=$3
  shift 3
  q openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "/CN=$name"
  SAN=$san q openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -extensions "$ext" \
    -in "$name.csr" -out "$name.pem" -notext "$@"
}
sign server server "IP:127.0.0.1,DNS:localhost" -days 30
sign expired server "IP:127.0.0.1,DNS:localhost" -startdate 20200101000000Z -enddate 20200102000000Z
sign wronghost server "DNS:wrong.example" -days 30
sign client client "DNS:client" -days 30
mv other-ca.pem.tmp other-ca.pem
