package acksim

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

// digest hashes parts with separators, so ("ab","c") and ("a","bc") differ.
func digest(parts ...string) []byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum(nil)
}

// hexString returns n (at most 64) lowercase hex digits derived from parts.
func hexString(n int, parts ...string) string {
	return hex.EncodeToString(digest(parts...))[:n]
}

// fromAlphabet returns n characters of alphabet derived from parts.
func fromAlphabet(alphabet string, n int, parts ...string) string {
	var b strings.Builder
	sum := digest(parts...)
	for i := 0; b.Len() < n; i++ {
		if i == len(sum) {
			sum = digest(append(parts, hex.EncodeToString(sum))...)
			i = 0
		}
		b.WriteByte(alphabet[int(sum[i])%len(alphabet)])
	}
	return b.String()
}

const (
	digitChars = "0123456789"
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	mixedAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

// uuidLike returns a lowercase 8-4-4-4-12 hex string derived from parts.
func uuidLike(parts ...string) string {
	h := hexString(32, parts...)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// base32Upper returns n characters of RFC 4648 base32 (A-Z, 2-7) derived from
// parts, the alphabet of RDS resource IDs.
func base32Upper(n int, parts ...string) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(digest(parts...))[:n]
}

// awsID returns an EC2-style ID such as vpc-0a1b2c3d4e5f60718: the prefix and
// 17 hex digits derived from the object's identity.
func awsID(prefix, kind, namespace, name string) string {
	return prefix + "-" + hexString(17, "id", kind, namespace, name)
}
