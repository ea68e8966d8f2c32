# fish completion for auditfetch(1). Provider names come from `auditfetch providers --names`
# (with the --providers-dir directories on the command line) and profile names from
# `auditfetch config profiles` (with --config FILE), so new providers and profiles complete
# without editing this file. Only the settings of the provider on the line are offered
# (`auditfetch completion --list settings -p NAME`; the built-in ones are described here),
# --action values include its native actions, --fields the unified field paths.
# `auditfetch completion fish` prints this file.

function __auditfetch_providers
    set -l dirs
    set -l words (commandline -opc)
    for i in (seq (count $words))
        set -l dir
        if test "$words[$i]" = --providers-dir; and test $i -lt (count $words)
            set dir $words[(math $i + 1)]
        else if string match -q -- '--providers-dir=?*' $words[$i]
            set dir (string replace -- --providers-dir= '' $words[$i])
        end
        if test -n "$dir"
            set dir (string replace -r -- '^~/' "$HOME/" $dir)
            set -a dirs --providers-dir $dir
        end
    end
    # A directory that does not load (yet) must not cost the built-in names.
    command auditfetch providers --names $dirs 2>/dev/null
    or command auditfetch providers --names 2>/dev/null
end

function __auditfetch_profiles
    set -l config
    set -l words (commandline -opc)
    for i in (seq (count $words))
        if test "$words[$i]" = --config; and test $i -lt (count $words)
            set config --config (string replace -r -- '^~/' "$HOME/" $words[(math $i + 1)])
        else if string match -q -- '--config=?*' $words[$i]
            set config --config (string replace -r -- '^~/' "$HOME/" (string replace -- --config= '' $words[$i]))
        end
    end
    command auditfetch config profiles $config 2>/dev/null
end

# --source NAME=PROFILE[,SETTING=VALUE...]: the profile names after "NAME=".
function __auditfetch_source
    set -l token (string replace -r -- '^--source=' '' (commandline -ct))
    string match -qr -- '^[^=,]+=[^=,]*$' $token; or return
    set -l name (string replace -r -- '=.*' '' $token)
    for profile in (__auditfetch_profiles)
        printf '%s=%s\n' $name $profile
    end
end

# The provider on the line (-p NAME, --provider NAME), else AUDITFETCH_PROVIDER's.
function __auditfetch_provider
    set -l provider $AUDITFETCH_PROVIDER
    set -l words (commandline -opc)
    for i in (seq (count $words))
        if contains -- $words[$i] -p --provider; and test $i -lt (count $words)
            set provider $words[(math $i + 1)]
        else if string match -q -- '--provider=?*' $words[$i]
            set provider (string replace -- --provider= '' $words[$i])
        end
    end
    printf '%s\n' $provider
end

# The words of `auditfetch completion --list KIND` for the provider on the line (every
# provider's without one, or when it is unknown), with the --providers-dir directories.
function __auditfetch_words
    set -l dirs
    set -l words (commandline -opc)
    for i in (seq (count $words))
        set -l dir
        if test "$words[$i]" = --providers-dir; and test $i -lt (count $words)
            set dir $words[(math $i + 1)]
        else if string match -q -- '--providers-dir=?*' $words[$i]
            set dir (string replace -- --providers-dir= '' $words[$i])
        end
        if test -n "$dir"
            set -a dirs --providers-dir (string replace -r -- '^~/' "$HOME/" $dir)
        end
    end
    set -l provider
    set -l name (__auditfetch_provider)
    test -n "$name"; and set provider -p $name
    command auditfetch completion --list $argv[1] $provider $dirs 2>/dev/null
    or command auditfetch completion --list $argv[1] $dirs 2>/dev/null
    or command auditfetch completion --list $argv[1] 2>/dev/null
end

# Whether --NAME is a setting of the provider on the line (any provider's without one);
# the list is asked once per command line.
function __auditfetch_setting
    set -l key (commandline -opc | string join ' ')
    if test "$key" != "$__auditfetch_settings_key"
        set -g __auditfetch_settings_key $key
        set -g __auditfetch_settings_list (__auditfetch_words settings)
    end
    contains -- --$argv[1] $__auditfetch_settings_list
end

# The --fields paths, after the ones already typed (a comma-separated list).
function __auditfetch_fields
    set -l token (string replace -r -- '^--fields=' '' (commandline -ct))
    set -l done (string match -r -- '^.*,' $token)
    for field in (__auditfetch_words fields)
        printf '%s%s\n' "$done" $field
    end
end

# The values of --region for the provider on the line (else AUDITFETCH_PROVIDER's); all of
# them without one.
function __auditfetch_regions
    set -l provider $AUDITFETCH_PROVIDER
    set -l words (commandline -opc)
    for i in (seq (count $words))
        if contains -- $words[$i] -p --provider; and test $i -lt (count $words)
            set provider $words[(math $i + 1)]
        else if string match -q -- '--provider=?*' $words[$i]
            set provider (string replace -- --provider= '' $words[$i])
        end
    end
    set -l pingone na\tapi.pingone.com eu\tapi.pingone.eu asia\tapi.pingone.asia ca\tapi.pingone.ca \
        au\tapi.pingone.com.au sg\tapi.pingone.sg
    set -l onepassword com\tevents.1password.com ent\tevents.ent.1password.com ca\tevents.1password.ca \
        eu\tevents.1password.eu
    switch "$provider"
        case pingone
            printf '%s\n' $pingone
        case '1password-*'
            printf '%s\n' $onepassword
        case '*'
            printf '%s\n' na\tpingone eu\t'pingone, 1password-*' asia\tpingone ca\t'pingone, 1password-*' \
                au\tpingone sg\tpingone com\t'1password-*' ent\t'1password-*'
    end
end

# config show|check take the options of list
function __auditfetch_config_fetching
    __fish_seen_subcommand_from config; and __fish_seen_subcommand_from show check
end

set -l commands list get tail verify providers config completion help
set -l fetching '__fish_seen_subcommand_from list get tail verify; or __auditfetch_config_fetching'
set -l filtering '__fish_seen_subcommand_from list tail verify; or __auditfetch_config_fetching'
set -l limiting '__fish_seen_subcommand_from list tail; or __auditfetch_config_fetching'
set -l bounded '__fish_seen_subcommand_from list; or __auditfetch_config_fetching' # not tail
set -l ending '__fish_seen_subcommand_from list verify; or __auditfetch_config_fetching' # not tail

complete -c auditfetch -f

# Top level
complete -c auditfetch -n "not __fish_seen_subcommand_from $commands" -a list -d 'List activities, streamed page by page'
complete -c auditfetch -n "not __fish_seen_subcommand_from $commands" -a get -d 'Print one activity by id'
complete -c auditfetch -n "not __fish_seen_subcommand_from $commands" -a tail -d 'Follow new activities as they appear'
complete -c auditfetch -n "not __fish_seen_subcommand_from $commands" -a verify -d 'Check that NDJSON files hold every activity of a window once'
complete -c auditfetch -n "not __fish_seen_subcommand_from $commands" -a providers -d 'List providers, or describe one'
complete -c auditfetch -n "not __fish_seen_subcommand_from $commands" -a config -d 'Show or check the settings and profiles of config.toml'
complete -c auditfetch -n "not __fish_seen_subcommand_from $commands" -a completion -d 'Print the shell completion script: bash, zsh or fish'
complete -c auditfetch -n "not __fish_seen_subcommand_from $commands" -a help -d "Print a command's help"
complete -c auditfetch -s h -l help -d 'Print help and exit'
complete -c auditfetch -n "not __fish_seen_subcommand_from $commands" -l version -d 'Print version and exit'

# Provider
complete -c auditfetch -n $fetching -s p -l provider -x -a '(__auditfetch_providers)' -d Provider
complete -c auditfetch -n $fetching -l base-url -x -d 'Replace the API base URL'
complete -c auditfetch -n "__fish_seen_subcommand_from $commands" -l providers-dir -x -a '(__fish_complete_directories)' -d 'Also load provider definitions from DIR'
complete -c auditfetch -n "$fetching; and __auditfetch_setting domain" -l domain -x -d "auth0: Auth0 tenant domain, e.g. acme.eu.auth0.com (or the tenant's custom domain); okta: Okta org domain, e.g. acme.okta.com"
complete -c auditfetch -n "$fetching; and __auditfetch_setting org" -l org -x -d 'github: organization login (not with --enterprise)'
complete -c auditfetch -n "$fetching; and __auditfetch_setting enterprise" -l enterprise -x -d 'github: enterprise slug or id (not with --org)'
complete -c auditfetch -n "$fetching; and __auditfetch_setting tenant-id" -l tenant-id -x -d 'entra-audits, entra-signins: Microsoft Entra tenant id'
complete -c auditfetch -n "$fetching; and __auditfetch_setting environment-id" -l environment-id -x -d 'pingone: PingOne environment ID'
complete -c auditfetch -n "$fetching; and __auditfetch_setting region" -l region -x -a '(__auditfetch_regions)' -d "1password-audit, 1password-item-usages, 1password-signins: the 1Password account's region: com (1password.com), ent (ent.1password.com), ca, eu; pingone: PingOne region: the API and auth host"
complete -c auditfetch -n "$fetching; and __auditfetch_setting tenant" -l tenant -x -d 'sailpoint: SailPoint tenant name'
complete -c auditfetch -n "$fetching; and __auditfetch_setting requested-for" -l requested-for -x -d 'sailpoint: only activities requested for this identity id (or me)'
complete -c auditfetch -n "$fetching; and __auditfetch_setting requested-by" -l requested-by -x -d 'sailpoint: only activities requested by this identity id (or me)'
complete -c auditfetch -n "$fetching; and __auditfetch_setting regarding-identity" -l regarding-identity -x -d 'sailpoint: only activities whose requester or target is this identity'
complete -c auditfetch -n "$fetching; and __auditfetch_setting aid" -l aid -x -d 'thousandeyes: ThousandEyes account group ID'
complete -c auditfetch -n "$fetching; and __auditfetch_setting use-all-permitted-aids" -l use-all-permitted-aids -f -d 'thousandeyes: also read every other permitted account group'
complete -c auditfetch -n "$fetching; and __auditfetch_setting integrated-account-id" -l integrated-account-id -x -d 'truto: Truto integrated account ID'
complete -c auditfetch -n "$fetching; and __auditfetch_setting organization-id" -l organization-id -x -d 'truto: organization to read'
complete -c auditfetch -n "$fetching; and __auditfetch_setting application" -l application -x -a 'login admin token saml drive groups user_accounts mobile rules chrome context_aware_access access_transparency calendar meet gcp jamboard data_studio' -d 'google-workspace: the application whose activities to read: login, admin, token, saml, drive, groups, user_accounts, ...'
complete -c auditfetch -n "$fetching; and __auditfetch_setting user-key" -l user-key -x -d "google-workspace: whose activities: all, a user's primary email or profile id"
complete -c auditfetch -n "$fetching; and __auditfetch_setting credentials-file" -l credentials-file -r -F -d "google-workspace: the service account's JSON key file (its private key signs the token request)"
complete -c auditfetch -n "$fetching; and __auditfetch_setting subject" -l subject -x -d 'google-workspace: the admin the service account acts for (domain-wide delegation), e.g. admin@example.com'
complete -c auditfetch -n "$fetching; and __auditfetch_setting subdomain" -l subdomain -x -d 'zendesk: Zendesk subdomain: acme for https://acme.zendesk.com'
complete -c auditfetch -n "$fetching; and __auditfetch_setting email" -l email -x -d "zendesk: the admin's email address the API token belongs to (Basic {email}/token)"
complete -c auditfetch -n "$fetching; and __auditfetch_setting api-host" -l api-host -x -d "duo-admin, duo-auth: the Duo account's API hostname, e.g. api-deadbeef.duosecurity.com"

# Credentials
complete -c auditfetch -n $fetching -l token-file -r -F -d 'Read the bearer token from FILE'
complete -c auditfetch -n $fetching -l token-url -x -d 'Replace the OAuth2 token endpoint'

# HTTP
complete -c auditfetch -n $fetching -l ca-file -r -F -d 'Also trust the CA certificates in FILE (PEM)'
complete -c auditfetch -n $fetching -l timeout -x -d 'Connect and read timeout, e.g. 500ms, 2s'
complete -c auditfetch -n $fetching -l retries -x -d 'Retries after the first try'
complete -c auditfetch -n $fetching -l rate -x -d 'At most N requests per period, all connections together, e.g. 10/s, 5/10s, 50/min'
complete -c auditfetch -n '__fish_seen_subcommand_from list; and not __fish_seen_subcommand_from config' -l parallel -x -d 'Fetch N time slices at once over N connections (1 to 64)'

# Output
complete -c auditfetch -n $fetching -s o -l output -x -a 'table json ndjson csv' -d 'Output format'
complete -c auditfetch -n $fetching -l fields -x -a '(__auditfetch_fields)' -d 'Only these unified fields, comma-separated'
complete -c auditfetch -n $fetching -l no-headers -d 'Table and CSV: no header line'
complete -c auditfetch -n $fetching -l wide -d 'Table: shorten nothing to fit the terminal'
complete -c auditfetch -n $fetching -l color -x -a 'auto always never' -d 'Colour the table'
complete -c auditfetch -n '__fish_seen_subcommand_from list' -l count -d 'Print only the number of matching activities'
complete -c auditfetch -n $fetching -l no-remote-data -d 'Print remote_data as null'
complete -c auditfetch -n $fetching -l tz -x -a 'UTC local (string replace -r "^/usr/share/zoneinfo/" "" /usr/share/zoneinfo/{Africa,America,Antarctica,Asia,Atlantic,Australia,Europe,Indian,Pacific}/**)' -d 'Zone of zone-less times and of the table'
complete -c auditfetch -n '__fish_seen_subcommand_from list; and not __fish_seen_subcommand_from config' -l order -x -a 'newest oldest' -d 'Print newest or oldest first on every provider'
complete -c auditfetch -n $fetching -s v -l verbose -d 'Print each request to stderr, secrets redacted'
complete -c auditfetch -n $fetching -s q -l quiet -d 'No progress line and no warnings on stderr'
complete -c auditfetch -n '__fish_seen_subcommand_from list get tail verify' -l explain -d 'Print the plan and send nothing'
complete -c auditfetch -n '__fish_seen_subcommand_from verify' -l print-missing -d 'Print the missing activities as NDJSON'
complete -c auditfetch -n '__fish_seen_subcommand_from verify' -F -d 'NDJSON file'

# Filters
complete -c auditfetch -n $filtering -l since -x -d 'From this time, inclusive (RFC 3339, 24h, now)'
complete -c auditfetch -n $ending -l until -x -d 'Before this time, exclusive'
complete -c auditfetch -n $filtering -l action -x -a '(__auditfetch_words actions)' -d 'Only this action, unified or the provider\'s own'
complete -c auditfetch -n $filtering -l actor-id -x -d 'Only activities by this actor'
complete -c auditfetch -n $filtering -l entity -x -d 'Only activities on this entity id'
complete -c auditfetch -n $filtering -l entity-type -x -d 'Only activities on entities of this type'
complete -c auditfetch -n $filtering -l filter -x -d 'Provider-native filter expression'
complete -c auditfetch -n $filtering -l param -x -d 'Raw query parameter, key=value'
complete -c auditfetch -n $bounded -l limit -x -d 'Stop after N activities'
complete -c auditfetch -n $filtering -l page-size -x -d 'Activities per request'

# Checkpoint
complete -c auditfetch -n $limiting -l state -r -F -d 'Checkpoint file: start where the last run stopped'
complete -c auditfetch -n $limiting -l overlap -x -d 'Re-read this much before the checkpoint (default 5m)'
complete -c auditfetch -n '__fish_seen_subcommand_from tail' -l interval -x -d 'Time between polls, at least 1s (default 30s)'
complete -c auditfetch -n '__fish_seen_subcommand_from tail' -l max-delay -x -d 'Several sources: hold an activity at most this long for the others (default: two intervals)'
complete -c auditfetch -n '__fish_seen_subcommand_from list tail' -l wait-lock -x -d 'Wait this long while another run uses the --state file'
complete -c auditfetch -n '__fish_seen_subcommand_from list tail; and not __fish_seen_subcommand_from config' -l state-dir -x -a '(__fish_complete_directories)' -d 'Several sources: one checkpoint file per source in DIR'

# Delivery (list and tail)
complete -c auditfetch -n '__fish_seen_subcommand_from list tail' -l exec -x -a '(__fish_complete_command)' -d 'Run CMD once per batch, the NDJSON on its stdin'
complete -c auditfetch -n '__fish_seen_subcommand_from list tail' -l batch -x -d 'Activities per --exec batch (default: a page)'
complete -c auditfetch -n '__fish_seen_subcommand_from list tail' -l exec-retries -x -d 'Tries of a failed batch after the first (default 3)'

# Configuration
complete -c auditfetch -n "$fetching; or __fish_seen_subcommand_from profiles" -l config -r -F -d 'Read profiles from FILE'
complete -c auditfetch -n $fetching -l profile -x -a '(__auditfetch_profiles)' -d 'Use this profile of the config file (list, tail, verify: again, another source)'
complete -c auditfetch -n '__fish_seen_subcommand_from list tail verify; and not __fish_seen_subcommand_from config' -l source -x -a '(__auditfetch_source)' -d 'Read the source NAME from config profile PROFILE: NAME=PROFILE[,SETTING=VALUE...]'
complete -c auditfetch -n $fetching -l no-profile -d 'Use no profile, not even the default one'

# config
complete -c auditfetch -n '__fish_seen_subcommand_from config; and not __fish_seen_subcommand_from show check profiles' -a show -d 'Print the settings a list would use, with sources'
complete -c auditfetch -n '__fish_seen_subcommand_from config; and not __fish_seen_subcommand_from show check profiles' -a check -d 'Try the credentials'
complete -c auditfetch -n '__fish_seen_subcommand_from config; and not __fish_seen_subcommand_from show check profiles' -a profiles -d 'Print the profile names'

# providers
complete -c auditfetch -n '__fish_seen_subcommand_from providers' -l names -d 'Print only the names'
complete -c auditfetch -n '__fish_seen_subcommand_from providers' -a '(__auditfetch_providers)' -d Provider

# completion
complete -c auditfetch -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish' -d Shell
complete -c auditfetch -n '__fish_seen_subcommand_from completion' -l list -x -a 'actions fields settings' -d 'Print the words the scripts offer'
complete -c auditfetch -n '__fish_seen_subcommand_from completion' -s p -l provider -x -a '(__auditfetch_providers)' -d Provider

# help
complete -c auditfetch -n '__fish_seen_subcommand_from help; and not __fish_seen_subcommand_from list get tail verify providers config completion' -a 'list get tail verify providers config completion' -d Command
complete -c auditfetch -n '__fish_seen_subcommand_from help; and __fish_seen_subcommand_from config; and not __fish_seen_subcommand_from show check profiles' -a 'show check profiles' -d 'config command'
