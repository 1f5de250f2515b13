package server

import (
	"fmt"
	"mime"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/docuflow/docuflow-operator/app/internal/store"
)

// Limits on document metadata.
const (
	maxTitleRunes   = 300
	maxContentType  = 255
	maxSizeBytes    = 5 << 40 // S3's largest object, 5 TiB
	maxTags         = 32
	maxStorageURI   = 2048
	defaultPageSize = 20
	maxPageSize     = 100
)

var (
	sha256Hex = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	tagRule   = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
)

// fieldError is invalid input, reported to the client with the field's name.
type fieldError struct {
	Field   string
	Message string
}

func (e *fieldError) Error() string { return e.Field + ": " + e.Message }

func invalid(field, format string, args ...any) *fieldError {
	return &fieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// createRequest is the body of POST /api/v1/documents. Pointers tell a
// missing field from a zero value.
type createRequest struct {
	Title       *string  `json:"title"`
	ContentType *string  `json:"content_type"`
	SizeBytes   *int64   `json:"size_bytes"`
	SHA256      *string  `json:"sha256"`
	Tags        []string `json:"tags"`
	StorageURI  *string  `json:"storage_uri"`
}

// validate checks the fields in the order they appear in the API and returns
// the normalised document or the first problem.
func (c createRequest) validate() (store.NewDocument, *fieldError) {
	var d store.NewDocument
	switch {
	case c.Title == nil || strings.TrimSpace(*c.Title) == "":
		return d, invalid("title", "is required")
	case utf8.RuneCountInString(strings.TrimSpace(*c.Title)) > maxTitleRunes:
		return d, invalid("title", "must be at most %d characters", maxTitleRunes)
	case strings.ContainsFunc(*c.Title, unicode.IsControl):
		return d, invalid("title", "must not contain control characters")
	}
	d.Title = strings.TrimSpace(*c.Title)

	switch {
	case c.ContentType == nil || strings.TrimSpace(*c.ContentType) == "":
		return d, invalid("content_type", "is required")
	case len(*c.ContentType) > maxContentType:
		return d, invalid("content_type", "must be at most %d bytes", maxContentType)
	}
	if _, _, err := mime.ParseMediaType(*c.ContentType); err != nil || !strings.Contains(*c.ContentType, "/") {
		return d, invalid("content_type", "must be a media type such as application/pdf")
	}
	d.ContentType = strings.TrimSpace(*c.ContentType)

	switch {
	case c.SizeBytes == nil:
		return d, invalid("size_bytes", "is required")
	case *c.SizeBytes < 0 || *c.SizeBytes > maxSizeBytes:
		return d, invalid("size_bytes", "must be between 0 and %d", int64(maxSizeBytes))
	}
	d.SizeBytes = *c.SizeBytes

	switch {
	case c.SHA256 == nil || *c.SHA256 == "":
		return d, invalid("sha256", "is required")
	case !sha256Hex.MatchString(*c.SHA256):
		return d, invalid("sha256", "must be 64 hexadecimal characters")
	}
	d.SHA256 = strings.ToLower(*c.SHA256)

	if len(c.Tags) > maxTags {
		return d, invalid("tags", "must hold at most %d tags", maxTags)
	}
	d.Tags = []string{}
	for _, t := range c.Tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if !tagRule.MatchString(t) {
			return d, invalid("tags", "tag %q must be 1-63 of a-z, 0-9, '.', '_' or '-', starting with a letter or digit", t)
		}
		if !slices.Contains(d.Tags, t) {
			d.Tags = append(d.Tags, t)
		}
	}

	if c.StorageURI != nil && *c.StorageURI != "" {
		if err := validStorageURI(*c.StorageURI); err != nil {
			return d, err
		}
		d.StorageURI = *c.StorageURI
	}
	return d, nil
}

func validStorageURI(s string) *fieldError {
	if len(s) > maxStorageURI {
		return invalid("storage_uri", "must be at most %d bytes", maxStorageURI)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "s3" && u.Scheme != "https") || u.Host == "" {
		return invalid("storage_uri", "must be an s3:// or https:// URI with a bucket or host")
	}
	return nil
}

func validTag(field, t string) *fieldError {
	if !tagRule.MatchString(t) {
		return invalid(field, "must be 1-63 of a-z, 0-9, '.', '_' or '-', starting with a letter or digit")
	}
	return nil
}
