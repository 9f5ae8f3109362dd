from migq.cli import main

main()
