# Generated passwords of PayFlow's Redis users and PostgreSQL roles, shared by
# scripts/local-servers (native servers: make run, the tests, bench, soak) and
# scripts/compose-secrets (make up). Sourced, not run.
#
# Why generated: a password written in the repository (or defaulted in
# compose.yaml, .env.example) is known to everyone who can read it. Each one is
# made the first time its user is seen and kept in a "user password" file
# (mode 600), so the URLs clients hold stay valid across restarts.

# The password of user $2 in file $1, generated (24 random bytes, hex: safe in
# a URL unescaped) and appended the first time.
password_of() {
    local file="$1" user="$2" password
    (umask 077 && touch "$file")
    password="$(awk -v u="$user" '$1 == u { print $2; exit }' "$file")"
    if [[ -z "$password" ]]; then
        password="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
        printf '%s %s\n' "$user" "$password" >>"$file"
    fi
    printf '%s\n' "$password"
}

# The service users of the ACL template $1 (every user but `default`):
# payflow-generator, payflow-anti-fraud, ... They name the PostgreSQL roles
# too (payflow_generator, ...): one list of services for both servers.
acl_service_users() {
    awk '$1 == "user" && $2 != "default" { print $2 }' "$1"
}

# Renders the ACL template $1 into $3: each user's PASSWORD becomes the SHA-256
# (#hex) of its password in file $2, generated when missing. Redis keeps only
# the hash, so the rendered file gives no password away.
render_acl() {
    local template="$1" passwords="$2" out="$3" line user
    : >"$out.tmp"
    chmod 600 "$out.tmp"
    while IFS= read -r line; do
        [[ "$line" =~ ^user\ ([^ ]+)\ .*PASSWORD ]] || continue
        user="${BASH_REMATCH[1]}"
        printf '%s\n' "${line/PASSWORD/#$(password_of "$passwords" "$user" | tr -d '\n' | sha256sum | cut -d' ' -f1)}" >>"$out.tmp"
    done <"$template"
    mv "$out.tmp" "$out"
}

# payflow-anti-fraud -> payflow_anti_fraud (the service's PostgreSQL role).
role_of_user() { local role="${1//-/_}"; printf '%s\n' "$role"; }

# payflow-anti-fraud -> ANTI_FRAUD (the suffix of REDIS_URL_<SERVICE>, DATABASE_URL_<SERVICE>).
variable_suffix_of_user() { local suffix="${1#payflow-}"; suffix="${suffix//-/_}"; printf '%s\n' "${suffix^^}"; }
