// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A test stand-in for Circle's FiatToken (USDC, 0xA0b86991…). It is not Circle's code: it
/// reproduces the events an indexer sees, with FiatToken's exact declarations, and the ledger
/// effects behind them (README, Protocol facts):
///
///  - mint(to, amount) by a minter emits Mint(minter, to, amount) then Transfer(0x0 -> to, amount);
///  - burn(amount) by a minter emits Burn(minter, amount) then Transfer(minter -> 0x0, amount);
///  - blacklist(account) emits Blacklisted(account) and only freezes: the balance and the supply
///    stay; transfers from or to the account revert, as do mints to it.
///
/// There is no initial supply: every unit comes from a mint. Operator functions (owner only) move
/// balances between arbitrary wallets, as TestTether's do, so tests need not fund every wallet.
contract TestFiatToken {
    string public constant name = "Test USD Coin";
    string public constant symbol = "USDC";
    uint8 public constant decimals = 6;

    address public owner;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => bool) public isMinter;
    mapping(address => bool) public isBlacklisted;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Mint(address indexed minter, address indexed to, uint256 amount);
    event Burn(address indexed burner, uint256 amount);
    event Blacklisted(address indexed _account);
    event UnBlacklisted(address indexed _account);

    modifier onlyOwner() {
        require(msg.sender == owner, "not owner");
        _;
    }

    modifier onlyMinters() {
        require(isMinter[msg.sender], "not a minter");
        _;
    }

    modifier notBlacklisted(address account) {
        require(!isBlacklisted[account], "blacklisted");
        _;
    }

    constructor() {
        owner = msg.sender;
        isMinter[msg.sender] = true;
    }

    function configureMinter(address minter) external onlyOwner {
        isMinter[minter] = true;
    }

    function mint(address to, uint256 amount)
        external
        onlyMinters
        notBlacklisted(msg.sender)
        notBlacklisted(to)
        returns (bool)
    {
        require(to != address(0), "mint to the zero address");
        require(amount > 0, "mint amount is 0");
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Mint(msg.sender, to, amount);
        emit Transfer(address(0), to, amount);
        return true;
    }

    function burn(uint256 amount) external onlyMinters notBlacklisted(msg.sender) {
        require(amount > 0, "burn amount is 0");
        require(balanceOf[msg.sender] >= amount, "burn amount exceeds balance");
        totalSupply -= amount;
        balanceOf[msg.sender] -= amount;
        emit Burn(msg.sender, amount);
        emit Transfer(msg.sender, address(0), amount);
    }

    function blacklist(address account) external onlyOwner {
        isBlacklisted[account] = true;
        emit Blacklisted(account);
    }

    function unBlacklist(address account) external onlyOwner {
        isBlacklisted[account] = false;
        emit UnBlacklisted(account);
    }

    function _move(address from, address to, uint256 value) internal notBlacklisted(from) notBlacklisted(to) {
        require(to != address(0), "transfer to the zero address");
        require(balanceOf[from] >= value, "balance");
        unchecked {
            balanceOf[from] -= value;
        }
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _move(msg.sender, to, value);
        return true;
    }

    /// Move `value` from any wallet to any other, as that wallet would (blacklists still apply).
    function operatorTransfer(address from, address to, uint256 value) external onlyOwner {
        _move(from, to, value);
    }

    /// Many transfers in one transaction: froms[i] -> tos[i] of values[i].
    function batchTransfer(address[] calldata froms, address[] calldata tos, uint256[] calldata values)
        external
        onlyOwner
    {
        require(froms.length == tos.length && tos.length == values.length, "length");
        for (uint256 i = 0; i < froms.length; i++) {
            _move(froms[i], tos[i], values[i]);
        }
    }
}
