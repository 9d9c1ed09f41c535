package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// Shell completion: the shell asks migrlab itself what may follow (urfave/cli's
// --generate-bash-completion, which lists the commands or, after a "-", the
// command's flags), so the completion always matches the binary; file names
// are the shell's own completion.

// bashCompletion is the script `migrlab completion bash` prints.
const bashCompletion = `# migrlab completion for bash: source <(migrlab completion bash)
_migrlab_complete() {
  local cur="${COMP_WORDS[COMP_CWORD]}" words
  if [[ "$cur" == -* ]]; then
    words=$("${COMP_WORDS[@]:0:COMP_CWORD}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    words=$("${COMP_WORDS[@]:0:COMP_CWORD}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o bashdefault -o default -F _migrlab_complete migrlab
`

// zshCompletion is the script `migrlab completion zsh` prints: the bash one
// through zsh's bashcompinit.
const zshCompletion = `# migrlab completion for zsh: source <(migrlab completion zsh)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
` + bashCompletion

// completionCommand is `migrlab completion bash|zsh|fish`.
func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script (bash, zsh or fish)",
		ArgsUsage: "bash|zsh|fish",
		Description: "Commands and flags complete from the binary itself:\n" +
			"  source <(migrlab completion bash)      # in ~/.bashrc\n" +
			"  source <(migrlab completion zsh)       # in ~/.zshrc\n" +
			"  migrlab completion fish > ~/.config/fish/completions/migrlab.fish",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("completion: name one shell: bash, zsh or fish")
			}
			switch c.Args().First() {
			case "bash":
				_, err := fmt.Fprint(c.App.Writer, bashCompletion)
				return err
			case "zsh":
				_, err := fmt.Fprint(c.App.Writer, zshCompletion)
				return err
			case "fish":
				s, err := c.App.ToFishCompletion()
				if err != nil {
					return err
				}
				_, err = fmt.Fprint(c.App.Writer, s)
				return err
			}
			return usagef("completion: unknown shell %q (want bash, zsh or fish)", c.Args().First())
		},
	}
}
