#!/bin/sh
# Makes the certificates of test/unit/cassandra/tls.test.ts: a CA and one node certificate per
# loopback address, each naming only its address (an IP SAN), as the local stack's nodes have
# (scripts/stack/tls.ts). Test material only. Run from this folder: sh make.sh
set -e
days=36500
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days $days \
  -subj "/CN=tracklog unit-test CA" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign
for ip in 127.0.0.1 127.0.0.2; do
  openssl req -newkey rsa:2048 -nodes -keyout "node-$ip.key" -out "node-$ip.csr" -subj "/CN=$ip"
  printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n' "$ip" > ext.cnf
  openssl x509 -req -in "node-$ip.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days $days \
    -extfile ext.cnf -out "node-$ip.pem"
  rm "node-$ip.csr"
done
rm -f ca.key ca.srl ext.cnf
