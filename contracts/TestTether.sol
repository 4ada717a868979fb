// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A test stand-in for Tether USD. It is not Tether's code: it only reproduces
/// the events an indexer sees, with USDT's exact declarations, and the ledger
/// effects behind them. Two deployable layouts share this base:
///
///  - `TestTetherEthereum`, as mainnet USDT (0xdAC17F95…, Solidity 0.4.17):
///    issue()/redeem() emit only Issue/Redeem and credit/debit the owner without
///    a Transfer; DestroyedBlackFunds and the blacklist events index nothing (the
///    wallet is the first data word).
///  - `TestTetherTron`, as USDT-TRC20 (TR7NHqje…, Solidity 0.4.18): issue() also
///    emits Transfer(0x0 -> owner) and redeem() Transfer(owner -> 0x0);
///    DestroyedBlackFunds, AddedBlackList and RemovedBlackList index the wallet
///    (topic 1; the balance is the only data word).
///
/// In both, destroyBlackFunds() zeroes the wallet and lowers the supply with no
/// Transfer at all.
///
/// Operator functions (owner only) move balances between arbitrary wallets so
/// tests and benchmarks can build realistic flows without funding gas for
/// every wallet, and emit many Transfer logs per transaction.
abstract contract TestTether {
    string public constant name = "Test Tether USD";
    string public constant symbol = "USDT";
    uint8 public constant decimals = 6;

    address public owner;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => bool) public isBlackListed;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Issue(uint256 amount);
    event Redeem(uint256 amount);
    event Deprecate(address newAddress);

    address public upgradedAddress;

    modifier onlyOwner() {
        require(msg.sender == owner, "not owner");
        _;
    }

    constructor(uint256 initialSupply) {
        owner = msg.sender;
        totalSupply = initialSupply;
        balanceOf[msg.sender] = initialSupply;
    }

    // The layout-specific parts: whether supply changes carry Transfer legs, and the
    // blacklist events (same signatures, different indexing).
    function _supplyTransferLegs() internal pure virtual returns (bool);
    function _emitDestroyedBlackFunds(address user, uint256 balance) internal virtual;
    function _emitAddedBlackList(address user) internal virtual;
    function _emitRemovedBlackList(address user) internal virtual;

    function _move(address from, address to, uint256 value) internal {
        require(!isBlackListed[from], "blacklisted");
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

    function issue(uint256 amount) external onlyOwner {
        balanceOf[owner] += amount;
        totalSupply += amount;
        emit Issue(amount);
        if (_supplyTransferLegs()) emit Transfer(address(0), owner, amount);
    }

    function redeem(uint256 amount) external onlyOwner {
        require(balanceOf[owner] >= amount, "balance");
        require(totalSupply >= amount, "supply");
        balanceOf[owner] -= amount;
        totalSupply -= amount;
        emit Redeem(amount);
        if (_supplyTransferLegs()) emit Transfer(owner, address(0), amount);
    }

    function addBlackList(address user) external onlyOwner {
        isBlackListed[user] = true;
        _emitAddedBlackList(user);
    }

    function removeBlackList(address user) external onlyOwner {
        isBlackListed[user] = false;
        _emitRemovedBlackList(user);
    }

    /// Retire the contract in favour of `upgraded`, as Tether's deprecate() does (the forwarding itself
    /// is not reproduced: an indexer only sees this event, then no more Transfers here).
    function deprecate(address upgraded) external onlyOwner {
        upgradedAddress = upgraded;
        emit Deprecate(upgraded);
    }

    function destroyBlackFunds(address user) external onlyOwner {
        require(isBlackListed[user], "not blacklisted");
        uint256 dirtyFunds = balanceOf[user];
        balanceOf[user] = 0;
        totalSupply -= dirtyFunds;
        _emitDestroyedBlackFunds(user, dirtyFunds);
    }

    /// Move `value` from any wallet to any other, as that wallet would.
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

    /// Benchmark load: `count` transfers from the owner to `wallets` synthetic
    /// addresses (base + i % wallets), amounts 1..1_000_000 raw units, so a few
    /// transactions carry 100k+ logs with realistic address reuse.
    function spray(uint256 count, uint160 base, uint256 wallets) external onlyOwner {
        require(wallets > 0, "wallets");
        for (uint256 i = 0; i < count; i++) {
            _move(owner, address(base + uint160(i % wallets)), (i % 1_000_000) + 1);
        }
    }
}

/// Mainnet USDT's layout on Ethereum.
contract TestTetherEthereum is TestTether {
    event DestroyedBlackFunds(address _blackListedUser, uint256 _balance);
    event AddedBlackList(address _user);
    event RemovedBlackList(address _user);

    constructor(uint256 initialSupply) TestTether(initialSupply) {}

    function _supplyTransferLegs() internal pure override returns (bool) {
        return false;
    }

    function _emitDestroyedBlackFunds(address user, uint256 balance) internal override {
        emit DestroyedBlackFunds(user, balance);
    }

    function _emitAddedBlackList(address user) internal override {
        emit AddedBlackList(user);
    }

    function _emitRemovedBlackList(address user) internal override {
        emit RemovedBlackList(user);
    }
}

/// USDT-TRC20's layout on Tron.
contract TestTetherTron is TestTether {
    event DestroyedBlackFunds(address indexed _blackListedUser, uint256 _balance);
    event AddedBlackList(address indexed _user);
    event RemovedBlackList(address indexed _user);

    constructor(uint256 initialSupply) TestTether(initialSupply) {}

    function _supplyTransferLegs() internal pure override returns (bool) {
        return true;
    }

    function _emitDestroyedBlackFunds(address user, uint256 balance) internal override {
        emit DestroyedBlackFunds(user, balance);
    }

    function _emitAddedBlackList(address user) internal override {
        emit AddedBlackList(user);
    }

    function _emitRemovedBlackList(address user) internal override {
        emit RemovedBlackList(user);
    }
}
