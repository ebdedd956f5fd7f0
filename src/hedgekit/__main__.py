from hedgekit.cli import main

main()
