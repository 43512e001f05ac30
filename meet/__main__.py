from meet.cli import main

main()
