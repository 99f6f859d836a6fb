# bash completion for sandbox(1). Installed as
# PREFIX/share/bash-completion/completions/sandbox (loaded on demand by bash-completion),
# or source it from ~/.bashrc. Uses only bash's own complete/compgen.

_sandbox() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local sandbox=${COMP_WORDS[0]} cmd='' i
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            -*) ;;
            *) cmd=${COMP_WORDS[i]}; break ;;
        esac
    done
    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W 'run check wrap unwrap profiles help --help --version' -- "$cur"))
        return
    fi
    case $prev in
        --policy) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --prefix) COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --log) COMPREPLY=($(compgen -W 'error warn info debug' -- "$cur")); return ;;
        --name) return ;;
        --profile)
            COMPREPLY=($(compgen -W "$("$sandbox" profiles 2>/dev/null | cut -f1)" -- "$cur"))
            return ;;
    esac
    local prefix=''
    for ((i = 1; i < COMP_CWORD; i++)); do
        [[ ${COMP_WORDS[i]} == --prefix ]] && prefix=${COMP_WORDS[i+1]}
    done
    case $cmd in
        run)
            # Options, then the program (a command name), then its arguments (files).
            local program=0 dashdash=0 j
            for ((j = i + 1; j < COMP_CWORD; j++)); do
                if ((dashdash)); then program=1; break; fi
                case ${COMP_WORDS[j]} in
                    --) dashdash=1 ;;
                    --policy | --profile | --log) ((j++)) ;;
                    -*) ;;
                    *) program=1; break ;;
                esac
            done
            if ((program)); then
                COMPREPLY=($(compgen -f -- "$cur"))
            elif ((dashdash)) || [[ $cur != -* ]]; then
                COMPREPLY=($(compgen -c -- "$cur"))
            else
                COMPREPLY=($(compgen -W '--policy --profile --log --help --' -- "$cur"))
            fi ;;
        check)
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W '--profile --help' -- "$cur"))
            else
                COMPREPLY=($(compgen -f -- "$cur"))
            fi ;;
        wrap)
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W '--policy --profile --prefix --name --list --help' -- "$cur"))
            else
                COMPREPLY=($(compgen -c -- "$cur"))
            fi ;;
        unwrap)
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W '--prefix --help' -- "$cur"))
            else
                COMPREPLY=($(compgen -W "$("$sandbox" wrap --list ${prefix:+--prefix "$prefix"} 2>/dev/null | cut -f1)" -- "$cur"))
            fi ;;
        help) COMPREPLY=($(compgen -W 'run check wrap unwrap profiles' -- "$cur")) ;;
    esac
}
complete -F _sandbox sandbox
