# annals.bash: bash completion for annals(1), the annals client; installed
# as share/bash-completion/completions/annals. It completes the commands,
# the global options and each command's own, the fixed values of options
# (--format, --mode, --order, --by, --field) and file names where a file is
# expected. It never completes a token: --token is refused by annals, and
# a secret has no business in shell history.
#
# The lists below follow client/*.c; tests/t/man_pages_and_completion_match_the_code.t
# checks them against `annals --help` and `annals COMMAND --help`.

_annals_commands="ping hello stats put get delete range count search hist top
    import export render watch backup help"
_annals_global_opts="--host --port --socket --timeout --token-file --json -h --help --version"
_annals_filter_opts="--mode --kind --country --tag --participant --place --parent"

# _annals_command_opts COMMAND: the options of COMMAND besides the global ones.
_annals_command_opts()
{
    case $1 in
        stats) echo "--watch --count" ;;
        range) echo "$_annals_filter_opts --q --limit --order" ;;
        count) echo "$_annals_filter_opts --q" ;;
        search) echo "$_annals_filter_opts --limit --order" ;;
        hist) echo "$_annals_filter_opts --q --by --spread" ;;
        top) echo "$_annals_filter_opts --q --field --limit" ;;
        import) echo "--format --skip-invalid" ;;
        render) echo "$_annals_filter_opts --q -o --output --title --limit" ;;
        watch) echo "$_annals_filter_opts --q --since --resume --heartbeats" ;;
    esac
}

# _annals_files [dirs]: complete file names (or directories only).
_annals_files()
{
    if declare -F _filedir >/dev/null; then
        if [[ $1 == dirs ]]; then _filedir -d; else _filedir; fi
        return
    fi
    compopt -o filenames 2>/dev/null
    if [[ $1 == dirs ]]; then
        mapfile -t COMPREPLY < <(compgen -d -- "$cur")
    else
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    fi
}

_annals()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev="" cmd="" i w
    COMPREPLY=()
    (( COMP_CWORD > 0 )) && prev=${COMP_WORDS[COMP_CWORD-1]}
    # "--format=gd": bash splits at '=', so the option is two words back.
    if [[ $cur == = ]]; then
        cur=""
    fi
    if [[ $prev == = ]] && (( COMP_CWORD > 1 )); then
        prev=${COMP_WORDS[COMP_CWORD-2]}
    fi

    # The command is the first word that is neither an option nor the
    # value of a global option that takes one (as client/main.c finds it).
    for (( i = 1; i < COMP_CWORD; i++ )); do
        w=${COMP_WORDS[i]}
        case $w in
            --host|--port|--socket|--timeout|--token-file|--token)
                [[ ${COMP_WORDS[i+1]} == = ]] && (( i++ ))
                (( i++ )) ;;
            -*|=) ;;
            *) cmd=$w; break ;;
        esac
    done

    case $prev in
        --socket|--token-file|--resume|-o|--output)
            _annals_files; return ;;
        --host)
            mapfile -t COMPREPLY < <(compgen -A hostname -- "$cur"); return ;;
        --format)
            mapfile -t COMPREPLY < <(compgen -W "jsonl gdelt csv" -- "$cur"); return ;;
        --mode)
            mapfile -t COMPREPLY < <(compgen -W "overlap within" -- "$cur"); return ;;
        --order)
            mapfile -t COMPREPLY < <(compgen -W "asc desc" -- "$cur"); return ;;
        --by)
            mapfile -t COMPREPLY < <(compgen -W "day week month year" -- "$cur"); return ;;
        --field)
            mapfile -t COMPREPLY < <(compgen -W "country kind tag participant place" -- "$cur"); return ;;
        --token|--port|--timeout|--kind|--country|--tag|--participant|--place|--parent|--q|\
        --limit|--since|--count|--title)
            return ;;
    esac

    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$_annals_global_opts $(_annals_command_opts "$cmd")" -- "$cur")
        return
    fi
    case $cmd in
        "") mapfile -t COMPREPLY < <(compgen -W "$_annals_commands" -- "$cur") ;;
        help) mapfile -t COMPREPLY < <(compgen -W "$_annals_commands" -- "$cur") ;;
        import) _annals_files ;;
        backup) _annals_files dirs ;;
    esac
}

complete -F _annals annals
