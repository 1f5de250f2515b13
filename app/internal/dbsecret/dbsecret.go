package dbsecret

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/docuflow/docuflow-operator/app/contract"
	"github.com/docuflow/docuflow-operator/app/internal/config"
)

// DefaultTTL is how long fetched credentials are used before the next
// connection fetches them again. A refused password is refetched at once, so
// this only bounds how long a password withdrawn some other way lingers.
const DefaultTTL = time.Minute

// fetchTimeout bounds one GetSecretValue call.
const fetchTimeout = 5 * time.Second

// Credentials are a user name and password from the secret.
type Credentials struct {
	// User is the database role.
	User string
	// Password is the role's password; never log it.
	Password string
}

// LogValue keeps the password out of logs.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.User) }

// GetSecretValueAPI is the one Secrets Manager call the source makes.
type GetSecretValueAPI interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Source hands out the secret's current credentials. It is safe for
// concurrent use; fetches happen one at a time.
type Source struct {
	arn    string
	client GetSecretValueAPI
	ttl    time.Duration
	log    *slog.Logger
	now    func() time.Time

	mu        sync.Mutex // held during a fetch, so concurrent callers share it
	cached    Credentials
	fetchedAt time.Time
	fetches   int
}

// New returns a Source for the secret arn, with a Secrets Manager client for
// the ARN's region and the SDK's default credential chain (the ECS task role
// in production; AWS_ENDPOINT_URL_SECRETS_MANAGER and AWS_ENDPOINT_URL are
// honoured). It makes no call yet.
func New(ctx context.Context, arn string, log *slog.Logger) (*Source, error) {
	region := config.SecretRegion(arn)
	if region == "" {
		return nil, fmt.Errorf("%s is not a Secrets Manager secret ARN", arn)
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region))
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration to read %s: %w", arn, err)
	}
	return NewWithClient(arn, secretsmanager.NewFromConfig(cfg), log), nil
}

// NewWithClient returns a Source that reads arn through client.
func NewWithClient(arn string, client GetSecretValueAPI, log *slog.Logger) *Source {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Source{arn: arn, client: client, ttl: DefaultTTL, log: log, now: time.Now}
}

// Get returns the cached credentials while they are younger than the TTL,
// otherwise fetches them. When a fetch fails, credentials fetched before are
// still returned: they may well work, and an error means no connection at all.
func (s *Source) Get(ctx context.Context) (Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.fetchedAt.IsZero() && s.now().Sub(s.fetchedAt) < s.ttl {
		return s.cached, nil
	}
	c, err := s.fetch(ctx)
	if err != nil {
		if s.cached != (Credentials{}) {
			s.log.WarnContext(ctx, "Fetching the database credentials failed, using the previous ones", "secret", s.arn, "error", err.Error())
			return s.cached, nil
		}
		return Credentials{}, err
	}
	if s.cached != (Credentials{}) && c != s.cached {
		s.log.InfoContext(ctx, "The database credentials changed in Secrets Manager", "secret", s.arn, "user", c.User)
	}
	s.cached, s.fetchedAt = c, s.now()
	s.fetches++
	return c, nil
}

// Rejected reports that the database refused password. If that is the
// cached password, the next Get fetches the secret again instead of waiting
// for the TTL; a password from an older fetch changes nothing.
func (s *Source) Rejected(password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if password == s.cached.Password && !s.fetchedAt.IsZero() {
		s.log.Warn("The database refused the password, fetching the secret again", "secret", s.arn)
		s.fetchedAt = time.Time{}
	}
}

// Fetches counts successful fetches, for tests.
func (s *Source) Fetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

func (s *Source) fetch(ctx context.Context) (Credentials, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	out, err := s.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.arn)})
	if err != nil {
		return Credentials{}, fmt.Errorf("reading secret %s: %w", s.arn, err)
	}
	if out.SecretString == nil {
		return Credentials{}, fmt.Errorf("secret %s has no string value", s.arn)
	}
	var fields map[string]any
	if err := json.Unmarshal([]byte(*out.SecretString), &fields); err != nil {
		// Not the value or the decoder's message, which may quote it.
		return Credentials{}, fmt.Errorf("secret %s is not a JSON object", s.arn)
	}
	user, _ := fields[contract.SecretKeyUsername].(string)
	password, _ := fields[contract.SecretKeyPassword].(string)
	if user == "" || password == "" {
		return Credentials{}, errors.New("secret " + s.arn + " lacks a string " + contract.SecretKeyUsername + " or " + contract.SecretKeyPassword)
	}
	return Credentials{User: user, Password: password}, nil
}
