# bash completion for auditfetch(1)                        -*- shell-script -*-
#
# Needs bash 4 and nothing else (bash-completion is optional). Provider names come from
# `auditfetch providers --names` (with the --providers-dir directories on the command line),
# profile names from `auditfetch config profiles` (with --config FILE), and the settings flags,
# --action values and --fields paths from `auditfetch completion --list settings|actions|fields`
# (with the provider of -p: only its settings, its native actions), so new providers and
# profiles complete without editing this file. `auditfetch completion bash` prints this file.

# Print the provider names, user definitions from --providers-dir DIR on the line included.
_auditfetch_providers() {
    local -a dirs=()
    local i word dir
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]} dir=
        if [[ $word == --providers-dir ]]; then
            dir=${COMP_WORDS[i + 1]}
            [[ $dir == = ]] && dir=${COMP_WORDS[i + 2]} # "--providers-dir=DIR", split at "="
        elif [[ $word == --providers-dir=?* ]]; then
            dir=${word#--providers-dir=}
        fi
        [[ $dir == \~/* ]] && dir=$HOME/${dir#\~/}
        [[ -n $dir ]] && dirs+=(--providers-dir "$dir")
    done
    # A directory that does not load (yet) must not cost the built-in names.
    command auditfetch providers --names "${dirs[@]}" 2>/dev/null ||
        command auditfetch providers --names 2>/dev/null
}

# Print the profile names of the config file (--config FILE on the line, else the default).
_auditfetch_profiles() {
    local -a config=()
    local i word file
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]} file=
        if [[ $word == --config ]]; then
            file=${COMP_WORDS[i + 1]}
            [[ $file == = ]] && file=${COMP_WORDS[i + 2]} # "--config=FILE", split at "="
        elif [[ $word == --config=?* ]]; then
            file=${word#--config=}
        fi
        [[ $file == \~/* ]] && file=$HOME/${file#\~/}
        [[ -n $file ]] && config=(--config "$file")
    done
    command auditfetch config profiles "${config[@]}" 2>/dev/null
}

# Print the provider the line names (-p NAME, --provider NAME, --provider=NAME), else
# AUDITFETCH_PROVIDER's.
_auditfetch_provider() {
    local i word provider=${AUDITFETCH_PROVIDER-}
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if [[ $word == -p || $word == --provider ]]; then
            provider=${COMP_WORDS[i + 1]}
            [[ $provider == = ]] && provider=${COMP_WORDS[i + 2]} # "--provider=NAME", split at "="
        elif [[ $word == --provider=?* ]]; then
            provider=${word#--provider=}
        fi
    done
    printf '%s\n' "$provider"
}

# Print the words of `auditfetch completion --list KIND` for the provider on the line (all
# providers' without one, or when it is unknown), user definitions included.
_auditfetch_words() {
    local -a dirs=() provider=()
    local i word dir name
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]} dir=
        if [[ $word == --providers-dir ]]; then
            dir=${COMP_WORDS[i + 1]}
            [[ $dir == = ]] && dir=${COMP_WORDS[i + 2]}
        elif [[ $word == --providers-dir=?* ]]; then
            dir=${word#--providers-dir=}
        fi
        [[ $dir == \~/* ]] && dir=$HOME/${dir#\~/}
        [[ -n $dir ]] && dirs+=(--providers-dir "$dir")
    done
    name=$(_auditfetch_provider)
    [[ -n $name ]] && provider=(-p "$name")
    command auditfetch completion --list "$1" "${provider[@]}" "${dirs[@]}" 2>/dev/null ||
        command auditfetch completion --list "$1" "${dirs[@]}" 2>/dev/null ||
        command auditfetch completion --list "$1" 2>/dev/null
}

# Print the values of --region for the provider on the line; all of them without one.
_auditfetch_regions() {
    case $(_auditfetch_provider) in
        pingone) echo na eu asia ca au sg ;;
        1password-*) echo com ent ca eu ;;
        *) echo na eu asia ca au sg com ent ;;
    esac
}

_auditfetch() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local typed=$cur typed_prev=$prev # as readline split them, before "=" is dealt with
    COMPREPLY=()

    # bash splits "--output=json" at "=" (COMP_WORDBREAKS): complete the value.
    if [[ $cur == = ]]; then
        cur=
    elif [[ $prev == = ]]; then
        prev=${COMP_WORDS[COMP_CWORD - 2]}
    fi

    local command='' at i
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ ${COMP_WORDS[i]} != -* ]]; then
            command=${COMP_WORDS[i]} at=$i
            break
        fi
    done

    if [[ -z $command ]]; then
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W '-h --help --version' -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W 'list get tail verify providers config completion help' -- "$cur")
        fi
        return
    fi

    # help COMMAND [SUBCOMMAND]: the commands, and config's after config.
    if [[ $command == help ]]; then
        local -a after=("${COMP_WORDS[@]:at+1:COMP_CWORD-at-1}")
        if ((${#after[@]} == 0)); then
            mapfile -t COMPREPLY < <(compgen -W 'list get tail verify providers config completion' -- "$cur")
        elif [[ ${after[0]} == config && ${#after[@]} == 1 ]]; then
            mapfile -t COMPREPLY < <(compgen -W 'show check profiles' -- "$cur")
        fi
        return
    fi

    if [[ $command == completion ]]; then
        case $prev in
            --list) mapfile -t COMPREPLY < <(compgen -W 'actions fields settings' -- "$cur") ;;
            -p | --provider) mapfile -t COMPREPLY < <(compgen -W "$(_auditfetch_providers)" -- "$cur") ;;
            --providers-dir)
                compopt -o filenames 2>/dev/null
                mapfile -t COMPREPLY < <(compgen -d -- "$cur")
                ;;
            *)
                if [[ $cur == -* ]]; then
                    mapfile -t COMPREPLY < <(compgen -W '-h --help --list -p --provider --providers-dir' -- "$cur")
                else
                    mapfile -t COMPREPLY < <(compgen -W 'bash zsh fish' -- "$cur")
                fi
                ;;
        esac
        return
    fi

    # The settings of the provider on the line; every provider's without one.
    local common="-h --help -p --provider --base-url --providers-dir
        $(_auditfetch_words settings)
        --token-file --token-url --ca-file --timeout --retries --rate"
    common+=' 
-o --output --fields --no-headers --wide --color --no-remote-data --tz -v --verbose -q --quiet
        --config --profile --no-profile'
    local selection='--since --until --action --actor-id --entity --entity-type
        --filter --param --page-size'
    local filters="$selection --limit"
    local checkpoint='--state --overlap'
    local explain=--explain # not on config show|check
    local delivery='--exec --batch --exec-retries --wait-lock' # list and tail, not config
    local count=--count # list only
    local order=--order # list only
    local parallel=--parallel # list only
    local sources='--source --state-dir' # list and tail; verify: --source
    # config show|check take the options of list; config profiles only --config.
    if [[ $command == config ]]; then
        local sub=''
        for ((i = at + 1; i < COMP_CWORD; i++)); do
            if [[ ${COMP_WORDS[i]} != -* ]]; then
                sub=${COMP_WORDS[i]}
                break
            fi
        done
        case $sub in
            '')
                if [[ $cur == -* ]]; then
                    mapfile -t COMPREPLY < <(compgen -W '-h --help' -- "$cur")
                else
                    mapfile -t COMPREPLY < <(compgen -W 'show check profiles' -- "$cur")
                fi
                return
                ;;
            show | check) command=list explain= delivery='' count='' order='' parallel='' sources='' ;;
            profiles)
                if [[ $prev == --config ]]; then
                    compopt -o filenames 2>/dev/null
                    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                else
                    mapfile -t COMPREPLY < <(compgen -W '-h --help --config' -- "$cur")
                fi
                return
                ;;
            *) return ;;
        esac
    fi

    local options
    case $command in
        list) options="$common $filters $checkpoint $explain $delivery $count $order $parallel $sources" ;;
        get) options="$common $explain" ;;
        tail) options="$common ${selection/--until/} $checkpoint $explain $delivery --interval $sources --max-delay" ;; # no --until, --limit
        verify) options="$common $selection $explain --print-missing ${sources/--state-dir/}" ;;
        providers) options='-h --help --names --providers-dir' ;;
        *) return ;;
    esac

    if [[ $prev == --providers-dir ]]; then
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -d -- "$cur")
        return
    fi

    # --source NAME=PROFILE[,SETTING=VALUE...]: the profile names after "NAME=". Readline splits
    # the word at "=" (COMP_WORDBREAKS): --source, NAME, =, PROFILE (--source=NAME=PROFILE:
    # --source, =, NAME, =, PROFILE).
    if [[ -n $sources ]]; then
        local name_at=0
        if [[ $typed == = ]]; then
            name_at=$((COMP_CWORD - 2))
        elif [[ $typed_prev == = ]]; then
            name_at=$((COMP_CWORD - 3))
        fi
        if ((name_at > 1)) && [[ ${COMP_WORDS[name_at]} == = && ${COMP_WORDS[name_at - 1]} == --source ]]; then
            ((name_at--))
        fi
        if ((name_at > 0)) && [[ ${COMP_WORDS[name_at]} == --source ]]; then
            [[ $cur != *,* ]] && mapfile -t COMPREPLY < <(compgen -W "$(_auditfetch_profiles)" -- "$cur")
            return
        elif [[ $prev == --source ]]; then # NAME, or NAME=PROFILE in one word
            if [[ $cur == [^=]*=* && ${cur#*=} != *[=,]* ]]; then
                mapfile -t COMPREPLY < <(compgen -P "${cur%%=*}=" -W "$(_auditfetch_profiles)" -- "${cur#*=}")
            fi
            return
        fi
    fi

    if [[ $command != providers ]]; then
        case $prev in
            -p | --provider)
                mapfile -t COMPREPLY < <(compgen -W "$(_auditfetch_providers)" -- "$cur")
                return
                ;;
            -o | --output)
                mapfile -t COMPREPLY < <(compgen -W 'table json ndjson csv' -- "$cur")
                return
                ;;
            --color)
                mapfile -t COMPREPLY < <(compgen -W 'auto always never' -- "$cur")
                return
                ;;
            --profile)
                mapfile -t COMPREPLY < <(compgen -W "$(_auditfetch_profiles)" -- "$cur")
                return
                ;;
            --region)
                mapfile -t COMPREPLY < <(compgen -W "$(_auditfetch_regions)" -- "$cur")
                return
                ;;
            --application)
                mapfile -t COMPREPLY < <(compgen -W 'login admin token saml drive groups user_accounts
                    mobile rules chrome context_aware_access access_transparency calendar meet gcp
                    jamboard data_studio' -- "$cur")
                return
                ;;
            --use-all-permitted-aids) # a switch: true or false may follow, or the next flag
                if [[ $cur == -* ]]; then
                    mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
                else
                    mapfile -t COMPREPLY < <(compgen -W 'true false' -- "$cur")
                fi
                return
                ;;
            --action)
                mapfile -t COMPREPLY < <(compgen -W "$(_auditfetch_words actions)" -- "$cur")
                return
                ;;
            --fields) # a comma-separated list: complete its last path
                local done_fields=
                [[ $cur == *,* ]] && done_fields=${cur%,*},
                mapfile -t COMPREPLY < <(compgen -P "$done_fields" -W "$(_auditfetch_words fields)" -- "${cur##*,}")
                compopt -o nospace 2>/dev/null
                return
                ;;
            --order)
                mapfile -t COMPREPLY < <(compgen -W 'newest oldest' -- "$cur")
                return
                ;;
            --tz)
                mapfile -t COMPREPLY < <(compgen -W "UTC local $(cd /usr/share/zoneinfo 2>/dev/null &&
                    find . -type f -name '[A-Z]*' ! -path './posix/*' ! -path './right/*' | sed 's|^\./||')" -- "$cur")
                return
                ;;
            --token-file | --ca-file | --state | --config | --credentials-file)
                compopt -o filenames 2>/dev/null
                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                return
                ;;
            --state-dir)
                compopt -o filenames 2>/dev/null
                mapfile -t COMPREPLY < <(compgen -d -- "$cur")
                return
                ;;
            --base-url | --domain | --org | --enterprise | --tenant-id | \
                --environment-id | --tenant | --requested-for | --requested-by | \
                --regarding-identity | --aid | --integrated-account-id | --organization-id | \
                --user-key | --subject | --subdomain | --email | --api-host | \
                --token-url | --timeout | --retries | --rate | --parallel | \
                --since | --until | --actor-id | --entity | --entity-type | \
                --filter | --param | --limit | --page-size | --overlap | --interval | --max-delay | \
                --exec | --batch | --exec-retries | --wait-lock)
                return
                ;;
        esac
    fi

    if [[ $cur == -* || $command == list || $command == tail ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
    elif [[ $command == verify ]]; then # the NDJSON files to check
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    elif [[ $command == providers ]]; then
        for ((i = at + 1; i < COMP_CWORD; i++)); do
            case ${COMP_WORDS[i]} in
                --providers-dir) # its DIR is not the name
                    ((i++))
                    [[ ${COMP_WORDS[i]} == = ]] && ((i++))
                    ;;
                -*) ;;
                *) return ;; # the name is already there
            esac
        done
        mapfile -t COMPREPLY < <(compgen -W "$(_auditfetch_providers)" -- "$cur")
    fi
}

complete -F _auditfetch auditfetch
